package normalize

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"regexp"
	"strings"
	"testing"
)

// checkGuardDutyFast is the fast decode's contract: when it does not give
// up, the input is valid JSON and the result is exactly json.Unmarshal's.
// It reports whether the fast decode took the input.
func checkGuardDutyFast(t *testing.T, b []byte) bool {
	t.Helper()
	return checkFast(t, b, decodeGuardDutyFast)
}

func guardDutySamples(t testing.TB) map[string][]byte {
	return providerSamples(t, "guardduty")
}

// Inputs at the edges of what encoding/json does: the fast decode either
// gives up or agrees with it; the plain ones must not make it give up.
func TestGuardDutyFastEdges(t *testing.T) {
	tests := []struct {
		name, in string
		fast     bool // the fast decode must take it
	}{
		{"empty object", `{}`, true},
		{"nulls", `{"detail":null,"severity":null,"resource":null,"service":{"action":null,"count":null,"archived":null,"additionalInfo":null},"title":null}`, true},
		{"empty arrays", `{"resource":{"s3BucketDetails":[],"instanceDetails":{"tags":[],"networkInterfaces":[{"privateIpAddresses":[]}]}}}`, true},
		{"null elements", `{"resource":{"s3BucketDetails":[null,{"name":"b"}]},"service":{"detection":{"sequence":{"sequenceIndicators":[{"key":"k","values":[null,"v"]}]}}}}`, true},
		{"unknown members skipped", `{"x":[1,-2.5e3,true,false,null,{"y":"\u00e9\n"}],"id":"a","resources":[]}`, true},
		{"flex values", `{"service":{"archived":"true","additionalInfo":{"sample":"false"},"action":{"networkConnectionAction":{"remoteIpDetails":{"organization":{"asn":16509}}}}}}`, true},
		{"flex string asn", `{"service":{"action":{"awsApiCallAction":{"remoteIpDetails":{"organization":{"asn":"16509"}}}}}}`, true},
		{"utf-8 text", `{"title":"café ☕","description":"日本"}`, true},
		{"escapes", `{"title":"a\"b\\c\/d\u00e9\ud83d\ude00\n","description":"\t"}`, true},
		{"severity number forms", `{"severity":0}`, true},
		{"severity exponent", `{"severity":8.5E+0}`, true},
		{"white space", " \t\n{ \"id\" : \"x\" ,\r\n \"service\":{\"count\":1} } \n", true},
		{"invalid utf-8", "{\"title\":\"a\xffb\"}", false},
		{"lone surrogate", `{"title":"\ud800x"}`, false},
		{"case-folded key", `{"Title":"x"}`, false},
		{"case-folded nested key", `{"resource":{"InstanceDetails":{"instanceId":"i-1"}}}`, false},
		{"escaped key", `{"ti\u0074le":"x"}`, false},
		{"repeated member", `{"title":"a","title":"b"}`, false},
		{"repeated nested", `{"resource":{"instanceDetails":{"tags":[{"key":"a","value":"b"}]}},"resource":{"instanceDetails":{"tags":[{"key":"c"}]}}}`, false},
		{"wrong type", `{"title":5}`, false},
		{"wrong type object", `{"resource":"x"}`, false},
		{"count fraction", `{"service":{"count":1.5}}`, false},
		{"severity out of range", `{"severity":1e400}`, false},
		{"asn object", `{"service":{"action":{"kubernetesApiCallAction":{"remoteIpDetails":{"organization":{"asn":{}}}}}}}`, false},
		{"archived garbage", `{"service":{"archived":"maybe"}}`, false},
		{"trailing comma", `{"id":"a",}`, false},
		{"trailing data", `{"id":"a"} x`, false},
		{"two values", `{"id":"a"}{}`, false},
		{"leading zero", `{"x":01}`, false},
		{"bad literal", `{"x":tru}`, false},
		{"control char", "{\"title\":\"a\x01\"}", false},
		{"bad escape", `{"title":"\x"}`, false},
		{"unterminated", `{"title":"a`, false},
		{"deep", strings.Repeat(`{"x":`, 300) + "1" + strings.Repeat("}", 300), false},
		{"not an object", `[1]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			took := checkGuardDutyFast(t, []byte(tt.in))
			if tt.fast && !took {
				t.Error("the fast decode gave up on a plain input")
			}
		})
	}
}

// FuzzGuardDutyFastDecode: on any input the fast decode gives up or agrees
// with json.Unmarshal.
func FuzzGuardDutyFastDecode(f *testing.F) {
	for _, b := range guardDutySamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"detail":{"severity":5,"service":{"archived":"true","count":3}}}`))
	f.Add([]byte(`{"Title":"x","title":"y"}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkGuardDutyFast(t, b) })
}

// special8's lowest flag is the first byte a string scan must look at,
// for every byte value in every position after every kind of byte.
func TestSpecial8(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', ' ', 0x7f, '!', 0, '"', 0xff, 0x1f, 0x20} {
				var b [8]byte
				for i := range b {
					b[i] = 'a'
				}
				for i := pos + 1; i < 8; i++ {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := -1
				for i, x := range b {
					if special(x) {
						want = i
						break
					}
				}
				got := -1
				if m := special8(binary.LittleEndian.Uint64(b[:])); m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != want {
					t.Fatalf("first special byte of %q: special8 says %d, want %d", b, got, want)
				}
			}
		}
	}
}

// isTechniqueID matches exactly what `^T\d{4}(\.\d{3})?$` matches.
func TestIsTechniqueID(t *testing.T) {
	re := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	for _, v := range []string{"", "T", "T1", "T1110", "T1110.", "T1110.0", "T1110.003", "T1110.0031", "t1110",
		"T11100", "T111a", "T1110x003", "T1110.00a", " T1110", "T1110\n", "T١١١٠", "T1110.003\n", "TT1110"} {
		if got, want := isTechniqueID(v), re.MatchString(v); got != want {
			t.Errorf("isTechniqueID(%q) = %v, regexp %v", v, got, want)
		}
	}
}

func FuzzIsTechniqueID(f *testing.F) {
	re := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	f.Add("T1110.003")
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := isTechniqueID(v), re.MatchString(v); got != want {
			t.Fatalf("isTechniqueID(%q) = %v, regexp %v", v, got, want)
		}
	})
}

// splitArray gives up or agrees with json.Unmarshal into []json.RawMessage.
func checkSplitArray(t *testing.T, b []byte) bool {
	t.Helper()
	got, ok := splitArray(b)
	if !ok {
		return false
	}
	var want []json.RawMessage
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("splitArray accepted what json.Unmarshal rejects (%v): %.200q", err, b)
	}
	if len(got) != len(want) {
		t.Fatalf("splitArray gave %d items, json.Unmarshal %d", len(got), len(want))
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("item %d = %q, json.Unmarshal %q", i, got[i], want[i])
		}
	}
	return true
}

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		fast bool
	}{
		{`[]`, true}, {` [ ] `, true}, {"[ {\"a\":1} ,\n {\"b\":[2]} ]", true}, {`[null, 1, "x", true, {}]`, true},
		{`[1,]`, false}, {`[1] [2]`, false}, {`[`, false}, {`["\x"]`, false}, {`{}`, false},
		{strings.Repeat("[", 300) + strings.Repeat("]", 300), false},
	}
	for _, tt := range tests {
		if took := checkSplitArray(t, []byte(tt.in)); tt.fast && !took {
			t.Errorf("splitArray gave up on %q", tt.in)
		}
	}
}

func FuzzSplitArray(f *testing.F) {
	f.Add([]byte(`[ {"a":1} , {"b":[2, "\u00e9"]} ]`))
	f.Add([]byte(`[null, 1e5, "x", true, {}]`))
	f.Fuzz(func(t *testing.T, b []byte) { checkSplitArray(t, b) })
}
