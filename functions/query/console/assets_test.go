package console

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every icon the scripts ask for is a symbol of icons.svg.
func TestIconsExist(t *testing.T) {
	symbols := map[string]bool{}
	for _, m := range regexp.MustCompile(`<symbol id="([a-z-]+)"`).FindAllStringSubmatch(files["icons.svg"].body, -1) {
		symbols[m[1]] = true
	}
	used := 0
	for name, a := range files {
		for _, m := range regexp.MustCompile(`icon\('([a-z-]+)'|icon\(inc \? '([a-z-]+)' : '([a-z-]+)'|icons\.svg#([a-z-]+)`).FindAllStringSubmatch(a.body, -1) {
			for _, id := range m[1:] {
				if id == "" {
					continue
				}
				used++
				if !symbols[id] {
					t.Errorf("%s uses icon %q, which icons.svg lacks", name, id)
				}
			}
		}
	}
	if used < 10 {
		t.Fatalf("found %d icon uses; the pattern is wrong", used)
	}
}

// Text colours in styles.css meet WCAG AA (4.5:1) on white and on the page
// background.
func TestContrast(t *testing.T) {
	css := files["styles.css"].body
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(css, -1) {
		vars[m[1]] = m[2]
	}
	cases := []struct{ fg, bg string }{
		{"text", "card"}, {"text", "bg"}, {"muted", "card"}, {"muted", "bg"}, {"primary", "card"}, {"primary", "bg"},
		{"crit", "card"}, {"high", "card"}, {"med", "card"}, {"low", "card"}, {"info", "card"},
		{"err", "err-bg"}, {"ok", "ok-bg"}, {"warn", "warn-bg"}, {"text", "info-bg"},
	}
	for _, c := range cases {
		fg, bg := vars[c.fg], vars[c.bg]
		if fg == "" || bg == "" {
			t.Errorf("styles.css lacks --%s or --%s", c.fg, c.bg)
			continue
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("--%s %s on --%s %s: contrast %.2f, want at least 4.5", c.fg, fg, c.bg, bg, r)
		}
	}
	// White text on the primary button and on reached kill-chain stages.
	for _, v := range []string{"primary", "crit"} {
		if r := contrast("#ffffff", vars[v]); r < 4.5 {
			t.Errorf("white on --%s: contrast %.2f", v, r)
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}
