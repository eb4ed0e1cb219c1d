package normalize_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

// The registry is the one list of sources; every other list is checked
// against it here.

func TestRegistryRows(t *testing.T) {
	if got := normalize.SourceNames(); !slices.Equal(got, alert.Providers) {
		t.Errorf("registry names %v, alert.Providers %v", got, alert.Providers)
	}
	for _, s := range normalize.Sources() {
		t.Run(s.Name, func(t *testing.T) {
			if s.Display == "" || s.Samples == "" {
				t.Errorf("row %+v lacks a display name or a sample folder", s)
			}
			files, _ := filepath.Glob(filepath.Join(samplesDir, s.Samples, "*.json"))
			if len(files) == 0 {
				t.Errorf("no samples under %s", filepath.Join(samplesDir, s.Samples))
			}
			if _, err := normalize.Parse(s.Name, []byte(`{}`), receivedAt); err != nil {
				t.Errorf("Parse(%s): %v (the row has no parser?)", s.Name, err)
			}
			for _, dt := range s.DetailTypes {
				if got, ok := normalize.ByDetailType(dt); !ok || got.Name != s.Name {
					t.Errorf("ByDetailType(%q) = %v, %v", dt, got.Name, ok)
				}
			}
		})
	}
	if got := normalize.SourcePhrase("splunk"); got != "splunk" {
		t.Errorf("SourcePhrase of an unknown source = %q", got)
	}
}

// The console's provider list and display names (format.js) are the
// registry's.
func TestRegistryConsole(t *testing.T) {
	js := string(readFile(t, filepath.Join("..", "..", "functions", "query", "console", "assets", "format.js")))
	m := regexp.MustCompile(`(?m)^export const PROVIDERS = \[([^\]]*)\];`).FindStringSubmatch(js)
	if m == nil {
		t.Fatal("format.js has no PROVIDERS list")
	}
	var names []string
	for _, q := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(m[1], -1) {
		names = append(names, q[1])
	}
	if !slices.Equal(names, normalize.SourceNames()) {
		t.Errorf("format.js PROVIDERS %v, registry %v", names, normalize.SourceNames())
	}
	for _, s := range normalize.Sources() {
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(s.Name) + `: '([^']*)'`).FindStringSubmatch(js)
		if word == nil || word[1] != s.Display {
			t.Errorf("format.js names %s %v, registry %q", s.Name, word, s.Display)
		}
	}
}

// Every provider list in the OpenAPI document (an enum holding a provider
// name, or a description listing the providers) is the registry's.
func TestRegistryOpenAPI(t *testing.T) {
	var doc any
	if err := json.Unmarshal(readFile(t, filepath.Join("..", "..", "functions", "query", "openapi", "openapi.json")), &doc); err != nil {
		t.Fatal(err)
	}
	want := normalize.SourceNames()
	lists := 0
	listed := regexp.MustCompile(`(?i)providers: ([a-z, ]+)\.`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if enum, ok := x["enum"].([]any); ok && slices.ContainsFunc(enum, func(e any) bool { s, _ := e.(string); return slices.Contains(want, s) }) {
				lists++
				var got []string
				for _, e := range enum {
					s, _ := e.(string)
					got = append(got, s)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: enum %v, registry %v", path, got, want)
				}
			}
			if d, ok := x["description"].(string); ok {
				if m := listed.FindStringSubmatch(d); m != nil {
					lists++
					if got := strings.Split(m[1], ", "); !slices.Equal(got, want) {
						t.Errorf("%s: description lists %v, registry %v", path, got, want)
					}
				}
			}
			for k, c := range x {
				walk(path+"/"+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"/*", c)
			}
		}
	}
	walk("", doc)
	if lists == 0 {
		t.Error("openapi.json lists no providers: the check would prove nothing")
	}
}
