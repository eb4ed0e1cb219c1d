package console

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestServeRoutes(t *testing.T) {
	cases := []struct {
		name, path  string
		ok          bool
		status      int
		contentType string
		cache       string
	}{
		{"root", "/", true, 200, "text/html; charset=utf-8", "no-cache"},
		{"empty path", "", true, 200, "text/html; charset=utf-8", "no-cache"},
		{"index by name", "/index.html", true, 200, "text/html; charset=utf-8", "no-cache"},
		{"versioned script", "/assets/" + Version() + "/app.js", true, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"unversioned script", "/assets/app.js", true, 200, "text/javascript; charset=utf-8", "no-cache"},
		{"stale version", "/assets/v-000000000000/app.js", true, 200, "text/javascript; charset=utf-8", "no-cache"},
		{"stylesheet", "/assets/" + Version() + "/styles.css", true, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"icon set", "/assets/icons.svg", true, 200, "image/svg+xml", "no-cache"},
		{"favicon", "/assets/favicon.svg", true, 200, "image/svg+xml", "no-cache"},
		{"unknown asset", "/assets/nope.js", true, 404, "application/problem+json", ""},
		{"index not under assets", "/assets/index.html", true, 404, "application/problem+json", ""},
		{"traversal", "/assets/../console.go", true, 404, "application/problem+json", ""},
		{"assets root", "/assets", true, 404, "application/problem+json", ""},
		{"api path", "/alerts", false, 0, "", ""},
		{"healthz", "/healthz", false, 0, "", ""},
		{"look-alike", "/assetsx/app.js", false, 0, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, ok := Serve(tc.path)
			if ok != tc.ok {
				t.Fatalf("Serve(%q) ok = %v, want %v", tc.path, ok, tc.ok)
			}
			if !ok {
				return
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Headers["Content-Type"]; got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if tc.cache != "" && resp.Headers["Cache-Control"] != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", resp.Headers["Cache-Control"], tc.cache)
			}
			checkSecurityHeaders(t, resp.Headers)
			if tc.status == http.StatusOK && resp.Body == "" {
				t.Error("empty body")
			}
		})
	}
}

func checkSecurityHeaders(t *testing.T, hdr map[string]string) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for k, v := range want {
		if hdr[k] != v {
			t.Errorf("%s = %q, want %q", k, hdr[k], v)
		}
	}
	csp := hdr["Content-Security-Policy"]
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy allows unsafe sources: %q", csp)
	}
}

// The page must work under the CSP: no inline scripts, handlers or styles,
// and every asset it links is served.
func TestIndexWorksUnderCSP(t *testing.T) {
	resp, _ := Serve("/")
	body := resp.Body
	if strings.Contains(body, versionPlaceholder) {
		t.Fatal("index.html still holds the version placeholder")
	}
	for _, m := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(m, "src=") {
			t.Errorf("inline script: %s", m)
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(body) {
		t.Error("inline event handler attribute in index.html")
	}
	if regexp.MustCompile(`(?i)<style|\sstyle\s*=`).MatchString(body) {
		t.Error("inline style in index.html (blocked by style-src 'self')")
	}
	refs := regexp.MustCompile(`(?:href|src)="(assets/[^"#]+)`).FindAllStringSubmatch(body, -1)
	if len(refs) < 3 {
		t.Fatalf("index.html links %d assets, want at least a script, a stylesheet and an icon", len(refs))
	}
	for _, r := range refs {
		resp, ok := Serve("/" + r[1])
		if !ok || resp.StatusCode != http.StatusOK {
			t.Errorf("index.html links %s, which is not served (status %d)", r[1], resp.StatusCode)
		}
		if !strings.Contains(r[1], Version()) {
			t.Errorf("index.html links %s without the build version", r[1])
		}
	}
}

// Every ES module import resolves to an embedded asset.
func TestModuleImportsResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^import\s[^'"]*['"]\./([^'"]+)['"]`)
	n := 0
	for name, a := range files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imp.FindAllStringSubmatch(a.body, -1) {
			n++
			if _, ok := files[m[1]]; !ok {
				t.Errorf("%s imports ./%s, which is not embedded", name, m[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("no module imports found; the pattern is wrong")
	}
}

// The console fetches nothing from the internet, logs nothing, and never
// puts the token in a URL or in local (persistent) storage.
func TestAssetsStayLocalAndQuiet(t *testing.T) {
	remote := regexp.MustCompile(`https?://`)
	for name, a := range files {
		body := strings.ReplaceAll(a.body, "http://www.w3.org/2000/svg", "")
		// Vendored libraries are pinned byte for byte (TestVendoredPinned);
		// their comments hold URLs and commented-out logging.
		vendored := strings.HasPrefix(name, "vendor/")
		if loc := remote.FindStringIndex(body); loc != nil && !vendored {
			t.Errorf("%s refers to a remote URL near %q", name, body[loc[0]:min(len(body), loc[0]+60)])
		}
		if (strings.Contains(a.body, "console.log") || strings.Contains(a.body, "console.debug")) && !vendored {
			t.Errorf("%s logs to the browser console", name)
		}
		if vendored && (strings.Contains(a.body, "fetch(") || strings.Contains(a.body, "XMLHttpRequest") || strings.Contains(a.body, "import(")) {
			t.Errorf("%s makes requests of its own", name)
		}
		if strings.Contains(a.body, "localStorage") {
			t.Errorf("%s uses localStorage; the token belongs in sessionStorage only", name)
		}
		if strings.Contains(a.body, "innerHTML") || strings.Contains(a.body, "insertAdjacentHTML") || strings.Contains(a.body, "eval(") {
			t.Errorf("%s builds markup from strings or evaluates code", name)
		}
		if regexp.MustCompile(`searchParams\.set\([^)]*[Tt]oken`).MatchString(a.body) {
			t.Errorf("%s puts a token in a URL", name)
		}
	}
}

func TestContentType(t *testing.T) {
	cases := map[string]string{
		"a.html": "text/html; charset=utf-8", "a.js": "text/javascript; charset=utf-8",
		"a.mjs": "text/javascript; charset=utf-8", "a.css": "text/css; charset=utf-8",
		"a.svg": "image/svg+xml", "a.json": "application/json", "a.txt": "text/plain; charset=utf-8",
		"a.bin": "application/octet-stream",
	}
	for name, want := range cases {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}

// The vendored charting library is uPlot 1.6.32 from npm, unchanged
// (vendor/uplot/README.txt): a changed file must be a deliberate update.
func TestVendoredPinned(t *testing.T) {
	pins := map[string]string{
		"vendor/uplot/uPlot.esm.js":  "5dd9b3281aa64b461b42d9945f6adb2649d346502b12281a9ae0d46599a80eba",
		"vendor/uplot/uPlot.min.css": "df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04",
	}
	for name, want := range pins {
		sum := sha256.Sum256([]byte(files[name].body))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: sha256 %s, want %s (update the pin with the library)", name, got, want)
		}
	}
	if !strings.Contains(files["vendor/uplot/LICENSE.txt"].body, "The MIT License") {
		t.Error("vendor/uplot/LICENSE.txt is not uPlot's MIT licence")
	}
}
