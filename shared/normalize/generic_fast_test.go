package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkGenericFast: the fast decode gives up, or the input is valid JSON
// and the result is exactly json.Unmarshal's. It reports whether it took
// the input.
func checkGenericFast(t *testing.T, b []byte) bool {
	t.Helper()
	var fast genericAlert
	if !decodeGenericFast(b, &fast) {
		return false
	}
	var want genericAlert
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("fast decode accepted what json.Unmarshal rejects (%v): %.200q", err, b)
	}
	if !reflect.DeepEqual(fast, want) {
		got, _ := json.Marshal(fast)
		exp, _ := json.Marshal(want)
		t.Fatalf("fast decode differs for %.300q\n got %s\nwant %s", b, got, exp)
	}
	return true
}

func genericSamples(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "samples", "generic", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no generic samples: %v", err)
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

// Every generic sample alert takes the fast path and decodes exactly as
// json.Unmarshal does.
func TestGenericFastMatchesUnmarshal(t *testing.T) {
	for name, b := range genericSamples(t) {
		t.Run(name, func(t *testing.T) {
			items := []json.RawMessage{b}
			if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
				if err := json.Unmarshal(b, &items); err != nil {
					t.Fatal(err)
				}
			}
			for i, it := range items {
				if !checkGenericFast(t, it) {
					t.Errorf("item %d: the fast decode gave up on a plain sample", i)
				}
			}
		})
	}
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
