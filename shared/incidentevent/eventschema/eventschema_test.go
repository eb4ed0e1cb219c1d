package eventschema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"Incident Created":            "incident-created.json",
		"Incident Status Changed":     "incident-status-changed.json",
		"Incident Response Requested": "incident-response-requested.json",
		" Incident Updated ":          "incident-updated.json",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGoldenEventsValidate(t *testing.T) {
	v, err := LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := RepoDir()
	files, err := filepath.Glob(filepath.Join(root, "events", "golden", "*.json"))
	if err != nil || len(files) != 5 {
		t.Fatalf("golden files %v (%v), want 5", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		if FileName(env.DetailType) != filepath.Base(f) {
			t.Errorf("%s holds a %q event", f, env.DetailType)
		}
		if err := v.Validate(env.DetailType, env.Detail); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := v.Validate("Incident Created", []byte(`{"version":"1"`)); err == nil {
		t.Error("truncated JSON accepted")
	}
	if err := v.Validate("Incident Deleted", []byte(`{}`)); !errors.Is(err, ErrNoSchema) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("an empty directory loaded")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"type": 12}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("an invalid schema compiled")
	}
}
