package normalize

import (
	"testing"
)

// checkGenericFast: the fast decode gives up, or the input is valid JSON
// and the result is exactly json.Unmarshal's. It reports whether it took
// the input.
func checkGenericFast(t *testing.T, b []byte) bool {
	t.Helper()
	return checkFast(t, b, decodeGenericFast)
}

func genericSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "generic")
}

func TestGenericFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"empty", `{}`, true},
		{"lists", `{"tactics":["a",null],"techniques":[],"remediationSteps":null}`, true},
		{"resources", `{"resources":[{"id":"r","tags":{"a":"b","a":"c","n":null}},null,{"tags":{}}],"entities":[null,{"type":"ip"}]}`, true},
		{"number severity", `{"severity":3}`, false},
		{"case-folded", `{"ID":"x"}`, false},
		{"repeated", `{"id":"a","id":"b"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkGenericFast(t, []byte(tt.in)); tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzGenericFastDecode: on any input the fast decode gives up or agrees
// with json.Unmarshal.
func FuzzGenericFastDecode(f *testing.F) {
	for _, b := range genericSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"a","resources":[{"id":"r","tags":{"a":"b"}}],"entities":[{"type":"ip","value":"1.2.3.4"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkGenericFast(t, b) })
}
