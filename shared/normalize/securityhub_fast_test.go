package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkASFFFast is the fast decode's contract for both Security Hub
// shapes: it gives up, or the input is valid JSON and the result is
// exactly json.Unmarshal's. It reports whether both fast decodes took it.
func checkASFFFast(t *testing.T, b []byte) bool {
	t.Helper()
	took := true
	var ev asffEvent
	if decodeASFFEventFast(b, &ev) {
		var want asffEvent
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast event decode accepted what json.Unmarshal rejects (%v): %.200q", err, b)
		}
		if !reflect.DeepEqual(ev, want) {
			got, _ := json.Marshal(ev)
			exp, _ := json.Marshal(want)
			t.Fatalf("fast event decode differs for %.300q\n got %s\nwant %s", b, got, exp)
		}
	} else {
		took = false
	}
	var f asffFinding
	if decodeASFFFindingFast(b, &f) {
		var want asffFinding
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast finding decode accepted what json.Unmarshal rejects (%v): %.200q", err, b)
		}
		if !reflect.DeepEqual(f, want) {
			got, _ := json.Marshal(f)
			exp, _ := json.Marshal(want)
			t.Fatalf("fast finding decode differs for %.300q\n got %s\nwant %s", b, got, exp)
		}
	} else {
		took = false
	}
	return took
}

func securityHubSamples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "securityhub", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Security Hub samples: %v", err)
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
