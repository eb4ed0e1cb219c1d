package normalize

import (
	"encoding/json"
	"testing"
)

// checkASFFFast is the fast decode's contract for both Security Hub
// shapes: it gives up, or the input is valid JSON and the result is
// exactly json.Unmarshal's. It reports whether both fast decodes took it.
func checkASFFFast(t *testing.T, b []byte) bool {
	t.Helper()
	event := checkFast(t, b, decodeASFFEventFast)
	return checkFast(t, b, decodeASFFFindingFast) && event
}

func securityHubSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "securityhub")
}

// Every Security Hub sample and each of its findings takes the fast path
// and decodes exactly as json.Unmarshal does.
func TestSecurityHubFastMatchesUnmarshal(t *testing.T) {
	for name, b := range securityHubSamples(t) {
		t.Run(name, func(t *testing.T) {
			var ev asffEvent
			if !decodeASFFEventFast(b, &ev) {
				t.Fatal("the fast event decode gave up on a plain sample")
			}
			checkASFFFast(t, b)
			var u asffUnit
			if err := json.Unmarshal(b, &u); err != nil {
				t.Fatal(err)
			}
			findings := u.Findings
			if u.Detail != nil {
				findings = u.Detail.Findings
			}
			if findings == nil {
				findings = []json.RawMessage{b}
			}
			for i, raw := range findings {
				var f asffFinding
				if !decodeASFFFindingFast(raw, &f) {
					t.Errorf("finding %d: the fast decode gave up on a plain finding", i)
				}
				checkASFFFast(t, raw)
			}
		})
	}
}

func TestSecurityHubFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool // the fast finding decode must take it
	}{
		{"empty", `{}`, true},
		{"maps", `{"ProductFields":{"a":"1","b":2,"c":true,"d":null,"a":"3"},"Resources":[{"Id":"r","Tags":{"x":"y","z":null}},{"Tags":{}},null,{"Tags":null}]}`, true},
		{"nulls", `{"Severity":null,"Types":null,"Resources":null,"ProductFields":null,"Sample":null,"Action":null}`, true},
		{"severity", `{"Severity":{"Label":"HIGH","Normalized":70}}`, true},
		{"types", `{"Types":["TTPs/Initial Access/x",null]}`, true},
		{"map escaped key", `{"ProductFields":{"a\u0062":"1"}}`, false},
		{"map non-ASCII key", `{"ProductFields":{"é":"1"}}`, false},
		{"map wrong value", `{"Resources":[{"Tags":{"a":1}}]}`, false},
		{"flex object", `{"ProductFields":{"a":{}}}`, false},
		{"case-folded", `{"id":"x"}`, false},
		{"repeated", `{"Id":"a","Id":"b"}`, false},
		{"normalized string", `{"Severity":{"Normalized":"70"}}`, false},
		{"event findings", `{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[{"Id":"a"},null,{}]}}`, true},
		{"event detail null", `{"detail":null}`, true},
		{"event case-folded", `{"Detail":{}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f asffFinding
			took := decodeASFFFindingFast([]byte(tt.in), &f)
			checkASFFFast(t, []byte(tt.in))
			if tt.fast && !took {
				t.Error("the fast finding decode gave up on a plain input")
			}
		})
	}
}

// FuzzSecurityHubFastDecode: on any input each fast decode gives up or
// agrees with json.Unmarshal.
func FuzzSecurityHubFastDecode(f *testing.F) {
	for _, b := range securityHubSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"ProductFields":{"a":"1","b":2,"d":null},"Resources":[{"Tags":{"x":"y"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkASFFFast(t, b) })
}
