package normalize

import (
	"testing"
)

// checkFalcoFast: the fast decode gives up, or the input is valid JSON
// and the result is exactly json.Unmarshal's. It reports whether it took
// the input.
func checkFalcoFast(t *testing.T, b []byte) bool {
	t.Helper()
	return checkFast(t, b, decodeFalcoFast)
}

func falcoSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "falco")
}

func TestFalcoFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"empty", `{}`, true},
		{"tags", `{"tags":["mitre_execution",null],"output_fields":null}`, true},
		{"output fields", `{"output_fields":{"a":"x","b":1.5e3,"c":true,"d":null,"e":[],"f":{"g":[1,{"h":false}]},"a":"y","i":-0}}`, true},
		{"number overflow", `{"output_fields":{"a":1e999}}`, false},
		{"non-ASCII field", `{"output_fields":{"é":1}}`, false},
		{"wrong type", `{"rule":1}`, false},
		{"fields not an object", `{"output_fields":[]}`, false},
		{"case-folded", `{"Rule":"x"}`, false},
		{"repeated", `{"rule":"a","rule":"b"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkFalcoFast(t, []byte(tt.in)); tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzFalcoFastDecode: on any input the fast decode gives up or agrees
// with json.Unmarshal.
func FuzzFalcoFastDecode(f *testing.F) {
	for _, b := range falcoSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"rule":"r","priority":"Warning","output_fields":{"a":"x","b":1,"c":[true,null,{"d":"e"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkFalcoFast(t, b) })
}
