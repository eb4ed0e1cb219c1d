package normalize

import (
	"encoding/json"
	"strings"
	"testing"
)

// checkAMFast: each fast decode gives up, or the input is valid JSON and
// the result is exactly json.Unmarshal's. It reports whether both took it.
func checkAMFast(t *testing.T, b []byte) bool {
	t.Helper()
	group := checkFast(t, b, decodeAMUnitFast)
	return checkFast(t, b, decodeAMAlertFast) && group
}

func alertmanagerSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "alertmanager")
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
