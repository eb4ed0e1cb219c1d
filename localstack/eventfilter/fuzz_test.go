package eventfilter

import (
	"testing"

	"github.com/muster-sec/muster/shared/resources"
)

// FuzzFilter: any pattern either compiles or is refused with an error, and
// matching any JSON record never panics.
func FuzzFilter(f *testing.F) {
	for _, p := range append(append([]string{}, resources.Correlator.Filters...), resources.Responder.Filters...) {
		f.Add(p, `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"ALERT#1"},"sk":{"S":"ALERT"}}}}`)
	}
	f.Add(`{"a":[{"anything-but":["x",1,null]}],"b":[{"exists":false}]}`, `{"a":[1,"y",{"z":1}]}`)
	f.Add(`{"a":{"b":[{"suffix":""}]}}`, `{"a":{"b":["", 2, true]}}`)
	f.Fuzz(func(t *testing.T, pattern, record string) {
		flt, err := Compile([]string{pattern})
		if err != nil {
			return
		}
		_, _ = flt.MatchJSON([]byte(record))
	})
}
