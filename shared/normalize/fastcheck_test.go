package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// Every sample of these providers (each item of an array sample) takes the
// fast path and decodes exactly as json.Unmarshal does. Alertmanager and
// Security Hub, with two fast decoders each, have their own tests.
func TestFastDecodersMatchUnmarshalOnSamples(t *testing.T) {
	checks := map[string]func(*testing.T, []byte) bool{
		"defender": checkDefenderFast, "falco": checkFalcoFast, "generic": checkGenericFast,
		"guardduty": checkGuardDutyFast, "ocsf": checkOCSFFast,
	}
	for provider, check := range checks {
		for name, b := range providerSamples(t, provider) {
			t.Run(provider+"/"+name, func(t *testing.T) {
				items := []json.RawMessage{b}
				if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
					if err := json.Unmarshal(b, &items); err != nil {
						t.Fatal(err)
					}
				}
				for i, it := range items {
					if !check(t, it) {
						t.Errorf("item %d: the fast decode gave up on a plain sample", i)
					}
				}
			})
		}
	}
}
