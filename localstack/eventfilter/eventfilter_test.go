package eventfilter

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/resources"
)

func record(t *testing.T, name, pk, sk string) map[string]any {
	t.Helper()
	r := events.DynamoDBEventRecord{
		EventName: name,
		Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{
			"pk": events.NewStringAttribute(pk), "sk": events.NewStringAttribute(sk),
		}, SequenceNumber: "100"},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConsumerFilters checks the shared resource definitions select exactly
// the records each consumer must see.
func TestConsumerFilters(t *testing.T) {
	tests := []struct {
		name                  string
		event, pk, sk         string
		correlator, responder bool
	}{
		{"alert insert", "INSERT", "ALERT#a1", "ALERT", true, false},
		{"alert modify", "MODIFY", "ALERT#a1", "ALERT", true, false},
		{"alert remove (TTL)", "REMOVE", "ALERT#a1", "ALERT", false, false},
		{"incident insert", "INSERT", "INCIDENT#i1", "INCIDENT", false, true},
		{"incident modify", "MODIFY", "INCIDENT#i1", "INCIDENT", false, true},
		{"incident remove", "REMOVE", "INCIDENT#i1", "INCIDENT", false, false},
		{"response request insert", "INSERT", "INCIDENT#i1", "RESPONSE#2026#r1", false, true},
		{"response request modify (a playbook's report)", "MODIFY", "INCIDENT#i1", "RESPONSE#2026#r1", false, true},
		{"response request remove", "REMOVE", "INCIDENT#i1", "RESPONSE#2026#r1", false, false},
		{"automation run mark", "INSERT", "INCIDENT#i1", "AUTO#3", false, false},
		{"automation rule", "MODIFY", "AUTORULE#r1", "AUTORULE", false, false},
		{"timeline entry", "INSERT", "INCIDENT#i1", "TL#2026#1", false, false},
		{"comment insert", "INSERT", "INCIDENT#i1", "COMMENT#2026#c", false, true},
		{"comment modify", "MODIFY", "INCIDENT#i1", "COMMENT#2026#c", false, false},
		{"key day", "INSERT", "KEY#res:i-1", "DAY#2026-11-28", false, false},
		{"rule", "INSERT", "RULE#r1", "RULE", false, false},
		{"prefix is not contains", "INSERT", "XALERT#a1", "ALERT", false, false},
		{"sk exact, not prefix", "MODIFY", "INCIDENT#i1", "INCIDENTX", false, false},
	}
	corr, err := Compile(resources.Correlator.Filters)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Compile(resources.Responder.Filters)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t, tt.event, tt.pk, tt.sk)
			if got := corr.Match(rec); got != tt.correlator {
				t.Errorf("correlator match = %v, want %v", got, tt.correlator)
			}
			if got := resp.Match(rec); got != tt.responder {
				t.Errorf("responder match = %v, want %v", got, tt.responder)
			}
		})
	}
}

func TestMatchers(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		record  string
		want    bool
	}{
		{"exact string", `{"a":["x"]}`, `{"a":"x"}`, true},
		{"exact string miss", `{"a":["x"]}`, `{"a":"y"}`, false},
		{"any of list", `{"a":["x","y"]}`, `{"a":"y"}`, true},
		{"number", `{"n":[5]}`, `{"n":5}`, true},
		{"number is not string", `{"n":[5]}`, `{"n":"5"}`, false},
		{"bool", `{"b":[true]}`, `{"b":true}`, true},
		{"null", `{"z":[null]}`, `{"z":null}`, true},
		{"missing field", `{"a":["x"]}`, `{}`, false},
		{"array field any element", `{"a":["x"]}`, `{"a":["w","x"]}`, true},
		{"prefix", `{"a":[{"prefix":"AL"}]}`, `{"a":"ALERT#1"}`, true},
		{"prefix on number", `{"a":[{"prefix":"1"}]}`, `{"a":12}`, false},
		{"suffix", `{"a":[{"suffix":"#1"}]}`, `{"a":"ALERT#1"}`, true},
		{"equals-ignore-case", `{"a":[{"equals-ignore-case":"alert"}]}`, `{"a":"ALERT"}`, true},
		{"anything-but single", `{"a":[{"anything-but":"x"}]}`, `{"a":"y"}`, true},
		{"anything-but list hit", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"y"}`, false},
		{"anything-but missing", `{"a":[{"anything-but":"x"}]}`, `{}`, false},
		{"exists true", `{"a":[{"exists":true}]}`, `{"a":"v"}`, true},
		{"exists true missing", `{"a":[{"exists":true}]}`, `{}`, false},
		{"exists false missing", `{"a":[{"exists":false}]}`, `{}`, true},
		{"exists false present", `{"a":[{"exists":false}]}`, `{"a":1}`, false},
		{"nested", `{"d":{"k":{"S":[{"prefix":"A"}]}}}`, `{"d":{"k":{"S":"AB"}}}`, true},
		{"nested not an object", `{"d":{"k":["A"]}}`, `{"d":"k"}`, false},
		{"all keys must match", `{"a":["x"],"b":["y"]}`, `{"a":"x","b":"z"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile([]string{tt.pattern})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := f.MatchJSON([]byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("match(%s, %s) = %v, want %v", tt.pattern, tt.record, got, tt.want)
			}
		})
	}
}

func TestFiltersAreORed(t *testing.T) {
	f, err := Compile([]string{`{"a":["x"]}`, `{"b":["y"]}`})
	if err != nil {
		t.Fatal(err)
	}
	for rec, want := range map[string]bool{`{"a":"x"}`: true, `{"b":"y"}`: true, `{"a":"y","b":"x"}`: false} {
		if got, _ := f.MatchJSON([]byte(rec)); got != want {
			t.Errorf("%s: got %v, want %v", rec, got, want)
		}
	}
	empty, err := Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := empty.MatchJSON([]byte(`{"any":1}`)); !got {
		t.Error("an empty filter list must match every record")
	}
}

func TestCompileRejectsUnsupported(t *testing.T) {
	for _, p := range []string{
		`{"a":[{"numeric":[">",1]}]}`,
		`{"a":[{"wildcard":"x*"}]}`,
		`{"$or":[{"a":["x"]}]}`,
		`{"a":"x"}`,
		`{"a":[]}`,
		`{"a":[{"prefix":1}]}`,
		`{"a":[{"prefix":"x","suffix":"y"}]}`,
		`{"a":[["x"]]}`,
	} {
		t.Run(p, func(t *testing.T) {
			if _, err := Compile([]string{p}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Compile(%s) error = %v, want ErrUnsupported", p, err)
			}
		})
	}
	if _, err := Compile([]string{`{not json`}); err == nil {
		t.Error("malformed JSON must fail")
	}
}
