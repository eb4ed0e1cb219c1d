package normalize

import (
	"testing"
)

// checkDefenderFast: the fast decode gives up, or the input is valid JSON
// and the result is exactly json.Unmarshal's. It reports whether it took
// the input.
func checkDefenderFast(t *testing.T, b []byte) bool {
	t.Helper()
	return checkFast(t, b, decodeDefenderFast)
}

func defenderSamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "defender")
}

func TestDefenderFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"empty", `{}`, true},
		{"pascal", `{"AlertType":"t","SystemAlertId":"s","Severity":"High","IsIncident":"true","RemediationSteps":["a"]}`, true},
		{"camel REST", `{"name":"n","properties":{"alertType":"t","systemAlertId":"","severity":"low","remediationSteps":"[\"a\"]","resourceIdentifiers":[{"$id":"1","type":"AzureResource"}],"entities":[{"$ref":"1"},null,[1,"x"]]}}`, true},
		{"mixed case", `{"ALERTTYPE":"t","Properties":null,"NAME":"n"}`, true},
		{"nulls", `{"RemediationSteps":null,"Entities":null,"Techniques":[null],"IsIncident":null}`, true},
		{"same field twice", `{"AlertType":"a","alertType":"b"}`, false},
		{"non-ASCII key", `{"ſeverity":"High"}`, false},
		{"escaped key", `{"Severit\u0079":"High"}`, false},
		{"wrong type", `{"Entities":{}}`, false},
		{"number overflow", `{"Entities":[1e999]}`, false},
		{"incident garbage", `{"IsIncident":"maybe"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkDefenderFast(t, []byte(tt.in)); tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzDefenderFastDecode: on any input the fast decode gives up or agrees
// with json.Unmarshal.
func FuzzDefenderFastDecode(f *testing.F) {
	for _, b := range defenderSamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"name":"n","properties":{"alertType":"t","entities":[{"$id":"1","type":"ip","address":"1.2.3.4"},{"$ref":"1"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkDefenderFast(t, b) })
}
