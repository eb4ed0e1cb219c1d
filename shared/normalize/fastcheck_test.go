package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkFast is the fast decoders' contract: decode gives up on b, or b is
// valid JSON and the result is exactly json.Unmarshal's into the same type.
// It reports whether decode took b.
func checkFast[T any](t *testing.T, b []byte, decode func([]byte, *T) bool) bool {
	t.Helper()
	var fast T
	if !decode(b, &fast) {
		return false
	}
	var want T
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("fast %T decode accepted what json.Unmarshal rejects (%v): %.200q", want, err, b)
	}
	if !reflect.DeepEqual(fast, want) {
		got, _ := json.Marshal(fast)
		exp, _ := json.Marshal(want)
		t.Fatalf("fast %T decode differs from json.Unmarshal for %.300q\n got %s\nwant %s", want, b, got, exp)
	}
	return true
}

// providerSamples reads events/samples/<provider>/*.json by file name.
func providerSamples(t testing.TB, provider string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", provider, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s samples: %v", provider, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}
