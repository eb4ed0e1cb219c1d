package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "events", "samples")
	scenario, err := plan(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(scenario) == 0 {
		t.Fatal("empty scenario")
	}
	for _, e := range scenario {
		if _, err := os.Stat(e.File); err != nil {
			t.Errorf("manifest file %s: %v", e.File, err)
		}
		if e.Role == "" || e.Provider == "" {
			t.Errorf("entry without role or provider: %+v", e)
		}
	}
	all, err := plan(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < len(scenario) {
		t.Fatalf("-all lists %d samples, fewer than the scenario's %d", len(all), len(scenario))
	}
	seen := map[string]bool{}
	for i, e := range all {
		f := filepath.Clean(e.File)
		if seen[f] {
			t.Errorf("%s posted twice", f)
		}
		seen[f] = true
		if i < len(scenario) && e != scenario[i] {
			t.Errorf("entry %d = %+v, want the manifest's %+v first", i, e, scenario[i])
		}
		if strings.Contains(f, string(filepath.Separator)+"scenario"+string(filepath.Separator)) {
			t.Errorf("%s is not a sample", f)
		}
	}
}
