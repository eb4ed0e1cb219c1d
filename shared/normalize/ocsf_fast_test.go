package normalize

import (
	"testing"
)

// checkOCSFFast: the fast decode gives up, or the input is valid JSON and
// the result is exactly json.Unmarshal's. It reports whether it took it.
func checkOCSFFast(t *testing.T, b []byte) bool {
	t.Helper()
	return checkFast(t, b, decodeOCSFFast)
}

func ocsfSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "ocsf")
}

func TestOCSFFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"empty", `{}`, true},
		{"numbers", `{"class_uid":2004,"severity_id":-1,"time":1.7e12,"status_id":0,"count":12}`, true},
		{"nulls", `{"class_uid":null,"time":null,"status_id":null,"finding_info":null,"resources":null,"evidences":[null]}`, true},
		{"nested", `{"finding_info":{"attacks":[{"tactics":[{"name":"x"},null],"tactic":null}],"types":[]},"resources":[{"tags":[{"name":"a"}],"owner":{"account":null}}]}`, true},
		{"class_uid fraction", `{"class_uid":2004.0}`, false},
		{"class_uid string", `{"class_uid":"2004"}`, false},
		{"count overflow", `{"count":99999999999999999999}`, false},
		{"case-folded", `{"Class_UID":2004}`, false},
		{"repeated", `{"count":1,"count":2}`, false},
		{"type_id string", `{"observables":[{"type_id":"2"}]}`, false},
		{"metadata", `{"metadata":{"uid":"m-1","modified_time":1763634000000,"version":"1.1.0"}}`, true},
		{"metadata modified_time null", `{"metadata":{"modified_time":null}}`, true},
		{"metadata modified_time string", `{"metadata":{"modified_time":"1763634000000"}}`, false},
		{"metadata case-folded", `{"metadata":{"Modified_Time":1}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkOCSFFast(t, []byte(tt.in)); tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzOCSFFastDecode: on any input the fast decode gives up or agrees with
// json.Unmarshal.
func FuzzOCSFFastDecode(f *testing.F) {
	for _, b := range ocsfSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"class_uid":2004,"time":1.5,"count":3,"observables":[{"type_id":2,"value":"x"}]}`))
	f.Add([]byte(`{"class_uid":2004,"time":1.5,"metadata":{"uid":"m","modified_time":1.7e12}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkOCSFFast(t, b) })
}
