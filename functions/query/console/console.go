// Package console serves Muster's analyst console: a static, framework-free
// web app (ES modules, CSS and an SVG icon set) embedded in the query
// function's binary, so it deploys with the stack and runs in `make run`.
//
// The console holds no data and no secrets: it is open like GET /healthz.
// The analyst pastes an API token once; the page keeps it in session storage
// and sends it as a bearer token to the same API that serves it.
//
// Routes (GET or HEAD only; the caller checks the method):
//
//	/                         index.html (no-cache; asset links carry the build version)
//	/assets/<file>            an asset, revalidated on every use (no-cache)
//	/assets/v-<hash>/<file>   the same asset, cached for a year when <hash> is the
//	                          current build version (the URLs index.html uses)
//
// Every response carries a strict Content-Security-Policy (default-src
// 'self', no inline script or style, frame-ancestors 'none'),
// X-Content-Type-Options nosniff and Referrer-Policy no-referrer.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/apigw"
)

//go:embed assets
var embedded embed.FS

// CSP is the Content-Security-Policy sent with every console response.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// versionPlaceholder is replaced in index.html by the build version.
const versionPlaceholder = "__MUSTER_ASSET_VERSION__"

type asset struct {
	body        string
	contentType string
}

var (
	files   map[string]asset // by name under assets/, e.g. "app.js", "icons.svg"
	version string           // "v-" + first 12 hex digits of the hash of every asset
	index   string           // index.html with versioned asset URLs
)

func init() {
	files = map[string]asset{}
	var names []string
	err := fs.WalkDir(embedded, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		files[name] = asset{body: string(b), contentType: contentType(name)}
		names = append(names, name)
		return nil
	})
	if err != nil {
		panic("console: read embedded assets: " + err.Error()) // cannot happen with a valid embed
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(files[n].body))
		h.Write([]byte{0})
	}
	version = "v-" + hex.EncodeToString(h.Sum(nil))[:12]
	index = strings.ReplaceAll(files["index.html"].body, versionPlaceholder, version)
}

// Version is the build version embedded in asset URLs.
func Version() string { return version }

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

// Serve answers a console path. ok is false when path is not the
// console's (the caller routes it to the API); for a console path it
// returns the response, a 404 problem for an unknown asset. Serve does not
// look at the method: route only GET and HEAD here.
func Serve(p string) (resp events.APIGatewayProxyResponse, ok bool) {
	switch {
	case p == "" || p == "/" || p == "/index.html":
		return respond(http.StatusOK, "text/html; charset=utf-8", "no-cache", index), true
	case p == "/assets" || strings.HasPrefix(p, "/assets/"):
	default:
		return events.APIGatewayProxyResponse{}, false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "/assets"), "/")
	cache := "no-cache"
	if v, name, found := strings.Cut(rest, "/"); found && strings.HasPrefix(v, "v-") {
		rest = name
		if v == version {
			cache = "public, max-age=31536000, immutable"
		}
	}
	a, found := files[rest]
	if rest == "index.html" || !found || path.Clean("/"+rest) != "/"+rest {
		return secure(apigw.Problem(http.StatusNotFound, "Not Found", "no such console asset")), true
	}
	return respond(http.StatusOK, a.contentType, cache, a.body), true
}

func respond(status int, ctype, cache, body string) events.APIGatewayProxyResponse {
	return secure(events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": ctype, "Cache-Control": cache},
		Body:       body,
	})
}

// secure adds the security headers every console response carries.
func secure(r events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	r.Headers["Content-Security-Policy"] = CSP
	r.Headers["X-Content-Type-Options"] = "nosniff"
	r.Headers["Referrer-Policy"] = "no-referrer"
	r.Headers["X-Frame-Options"] = "DENY"
	r.Headers["Cross-Origin-Opener-Policy"] = "same-origin"
	r.Headers["Cross-Origin-Resource-Policy"] = "same-origin"
	r.Headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
	return r
}
