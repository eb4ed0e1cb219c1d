package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAssetRoot: the app finds make build's dist/ from infra/ (go run .,
// cdk deploy) and from any directory below the repository root.
func TestAssetRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Dir(wd) // this test runs in infra/
	for _, dir := range []string{wd, repo, filepath.Join(wd, "stack")} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			got, err := assetRoot()
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(repo, "dist"); got != want {
				t.Errorf("assetRoot() = %s, want %s", got, want)
			}
		})
	}
	t.Run("outside a module", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if _, err := assetRoot(); err == nil {
			t.Errorf("want an error outside the repository")
		}
	})
}
