package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkAMFast: each fast decode gives up, or the input is valid JSON and
// the result is exactly json.Unmarshal's. It reports whether both took it.
func checkAMFast(t *testing.T, b []byte) bool {
	t.Helper()
	took := true
	var u amUnit
	if decodeAMUnitFast(b, &u) {
		var want amUnit
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast group decode accepted what json.Unmarshal rejects (%v): %.200q", err, b)
		}
		if !reflect.DeepEqual(u, want) {
			got, _ := json.Marshal(u)
			exp, _ := json.Marshal(want)
			t.Fatalf("fast group decode differs for %.300q\n got %s\nwant %s", b, got, exp)
		}
	} else {
		took = false
	}
	var m amAlert
	if decodeAMAlertFast(b, &m) {
		var want amAlert
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast alert decode accepted what json.Unmarshal rejects (%v): %.200q", err, b)
		}
		if !reflect.DeepEqual(m, want) {
			got, _ := json.Marshal(m)
			exp, _ := json.Marshal(want)
			t.Fatalf("fast alert decode differs for %.300q\n got %s\nwant %s", b, got, exp)
		}
	} else {
		took = false
	}
	return took
}

func alertmanagerSamples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "alertmanager", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Alertmanager samples: %v", err)
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

// Every Alertmanager sample, and each alert in it, takes the fast path and
// decodes exactly as json.Unmarshal does.
func TestAlertmanagerFastMatchesUnmarshal(t *testing.T) {
	for name, b := range alertmanagerSamples(t) {
		t.Run(name, func(t *testing.T) {
			units := []json.RawMessage{b}
			if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
				if err := json.Unmarshal(b, &units); err != nil {
					t.Fatal(err)
				}
			}
			for _, unit := range units {
				if !checkAMFast(t, unit) {
					t.Error("the fast decode gave up on a plain sample")
				}
				var u amUnit
				if err := json.Unmarshal(unit, &u); err != nil {
					t.Fatal(err)
				}
				for i, a := range u.Alerts {
					if !checkAMFast(t, a) {
						t.Errorf("alert %d: the fast decode gave up on a plain alert", i)
					}
				}
			}
		})
	}
}

func TestAlertmanagerFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"empty", `{}`, true},
		{"alerts", `{"version":"4","alerts":[{"labels":{"a":"b"}}, null, 1, "x"]}`, true},
		{"no alerts", `{"alerts":[]}`, true},
		{"null alerts", `{"alerts":null,"labels":null,"annotations":{}}`, true},
		{"labels", `{"labels":{"a":"1","a":"2","b":null},"annotations":{"summary":"s"}}`, true},
		{"label number", `{"labels":{"a":1}}`, false},
		{"case-folded", `{"Labels":{}}`, false},
		{"repeated", `{"status":"firing","status":"resolved"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkAMFast(t, []byte(tt.in)); tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzAlertmanagerFastDecode: on any input each fast decode gives up or
// agrees with json.Unmarshal.
func FuzzAlertmanagerFastDecode(f *testing.F) {
	for _, b := range alertmanagerSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"alerts":[{"labels":{"a":"b"}},null],"labels":{"x":"y"}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkAMFast(t, b) })
}
