package normalize_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

// genericItem builds a generic alert; each argument replaces a member (raw
// JSON text, so that tests can put any bytes in it).
func genericItem(id, resourceID, firstSeen, extra string) string {
	return `{"id":` + id + `,"type":"T","severity":"low","firstSeen":` + firstSeen +
		`,"resources":[{"id":` + resourceID + `}]` + extra + `}`
}

const okTime = `"2026-11-20T08:00:00Z"`

// Bad input is refused per item, naming the field.
func TestInputSanityRejects(t *testing.T) {
	gdTime := func(first string) string {
		return `{"detail-type":"GuardDuty Finding","detail":{"accountId":"123456789012","arn":"arn:x","type":"Recon:EC2/Portscan","severity":5,` +
			`"updatedAt":"2026-11-20T08:00:00Z","service":{"eventFirstSeen":"` + first + `"}}}`
	}
	tests := []struct {
		name, provider, body, field string
	}{
		{"invalid UTF-8 in id", "generic", genericItem("\"a\xffb\"", `"r"`, okTime, ""), "id"},
		{"invalid UTF-8 in a nested id", "generic", genericItem(`"a"`, "\"r\xfe\"", okTime, ""), "resources[0].id"},
		{"NUL in id", "generic", genericItem(`"a\u0000b"`, `"r"`, okTime, ""), "id"},
		{"terminal escape in resource id", "generic", genericItem(`"a"`, `"\u001b[31mr"`, okTime, ""), "resources[0].id"},
		{"bell in entity value", "generic", genericItem(`"a"`, `"r"`, okTime, `,"entities":[{"type":"host","value":"h\u0007"}]`), "entities[0].value"},
		{"bidi override in type", "generic", strings.Replace(genericItem(`"a"`, `"r"`, okTime, ""), `"type":"T"`, `"type":"T\u202e"`, 1), "type"},
		{"line break in GuardDuty arn", "guardduty", strings.Replace(gdTime("2026-11-20T08:00:00Z"), `"arn:x"`, `"arn:x\n"`, 1), "arn"},
		{"year 0", "generic", genericItem(`"a"`, `"r"`, `"0000-01-01T00:00:00Z"`, ""), "firstSeen"},
		{"1970", "generic", genericItem(`"a"`, `"r"`, `"1970-01-01T00:00:00Z"`, ""), "firstSeen"},
		{"9999", "generic", genericItem(`"a"`, `"r"`, `"9999-12-31T00:00:00Z"`, ""), "firstSeen"},
		{"lastSeen in the future", "generic", genericItem(`"a"`, `"r"`, okTime, `,"lastSeen":"2026-11-22T00:00:01Z"`), "lastSeen"},
		{"GuardDuty 1970", "guardduty", gdTime("1970-01-01T00:00:00Z"), "service.eventFirstSeen"},
		{"Security Hub 9999", "securityhub", `{"Id":"f","ProductArn":"p","GeneratorId":"g","AwsAccountId":"1","Severity":{"Label":"LOW"},"FirstObservedAt":"9999-01-01T00:00:00Z","Resources":[{"Type":"Other","Id":"r"}]}`, "FirstObservedAt"},
		{"Defender 1970", "defender", `{"SystemAlertId":"d","AlertType":"T","Severity":"High","StartTimeUtc":"1970-01-01T00:00:00Z","CompromisedEntity":"vm"}`, "StartTimeUtc"},
		{"Alertmanager year 0", "alertmanager", `{"labels":{"alertname":"A","instance":"h"},"startsAt":"0000-01-01T00:00:00Z","status":"resolved","endsAt":"2026-11-20T08:00:00Z"}`, "startsAt"},
		{"Go zero time is absent, and firstSeen is required", "generic", genericItem(`"a"`, `"r"`, `"0001-01-01T00:00:00Z"`, ""), "firstSeen"},
		{"Falco 9999", "falco", `{"rule":"R","priority":"Notice","time":"9999-01-01T00:00:00Z","hostname":"h"}`, "time"},
		{"OCSF time 0", "ocsf", `{"class_uid":2004,"severity_id":2,"time":0,"finding_info":{"uid":"o","title":"T"},"resources":[{"uid":"r"}]}`, "time"},
		{"OCSF last_seen_time 1970", "ocsf", `{"class_uid":2004,"severity_id":2,"time":1763625600000,"finding_info":{"uid":"o","title":"T","last_seen_time":5},"resources":[{"uid":"r"}]}`, "finding_info.last_seen_time"},
		{"duplicate key", "generic", genericItem(`"a"`, `"r"`, okTime, `,"id":"b"`), "id"},
		{"duplicate key, other case", "generic", genericItem(`"a"`, `"r"`, okTime, `,"ID":"b"`), "ID"},
		{"duplicate tag", "generic", genericItem(`"a"`, `"r","tags":{"env":"prod","env":"dev"}`, okTime, ""), "resources[0].tags.env"},
		{"duplicate label", "alertmanager", `{"version":"4","alerts":[{"labels":{"alertname":"A","instance":"h","instance":"g"},"startsAt":"2026-11-20T08:00:00Z"}]}`, "alerts[0].labels.instance"},
		{"duplicate envelope member", "guardduty", strings.Replace(gdTime("2026-11-20T08:00:00Z"), `{"detail-type"`, `{"detail":{},"detail-type"`, 1), "detail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { rejected(t, tc.provider, tc.body, tc.field) })
	}
}

// Ids that differed only in their invalid bytes used to collide (both read
// as U+FFFD); now neither is accepted.
func TestInvalidUTF8IdsDoNotCollide(t *testing.T) {
	body := "[" + genericItem("\"a\xffb\"", `"r"`, okTime, "") + "," + genericItem("\"a\xfeb\"", `"r"`, okTime, "") + "]"
	for _, r := range parse(t, "generic", body) {
		if r.Err == nil || r.FieldError().Field != "id" || !strings.Contains(r.FieldError().Reason, "UTF-8") {
			t.Fatalf("result %d = %+v, want refused on id", r.Index, r)
		}
	}
}

// Free text loses control characters and terminal escapes, keeps tabs and
// line breaks; the raw payload keeps what was sent.
func TestFreeTextIsCleaned(t *testing.T) {
	body := genericItem(`"a"`, `"r","name":"web\u0000-1","tags":{"o\u001b[0mwner":"x\u0007y"}`, okTime,
		`,"name":"\u001b[1;31mRed\u001b[0m alert","description":"line 1\n\tline 2\u001b]0;title\u0007\r","remediationSteps":["step\u0085 one"]`)
	a := one(t, "generic", body)
	checks := []struct{ field, got, want string }{
		{"name", a.Name, "Red alert"},
		{"description", a.Description, "line 1\n\tline 2]0;title"},
		{"remediationSteps[0]", a.RemediationSteps[0], "step one"},
		{"resources[0].name", a.Resources[0].Name, "web-1"},
		{"resources[0].tags", fmt.Sprint(a.Resources[0].Tags), "map[owner:xy]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !strings.Contains(string(a.Raw), `\u001b[1;31m`) {
		t.Errorf("raw payload changed: %s", a.Raw)
	}
}

// Times at the edges of the window are accepted, and an OCSF time written
// in seconds is read as seconds.
func TestAlertTimeWindow(t *testing.T) {
	a := one(t, "generic", genericItem(`"a"`, `"r"`, `"2000-01-01T00:00:00Z"`, `,"lastSeen":"2026-11-22T00:00:00Z"`))
	if !a.LastSeen.Equal(receivedAt.Add(24 * time.Hour)) {
		t.Fatalf("lastSeen = %v", a.LastSeen)
	}
	// Go's zero time, which Go senders write for an unset time, is absent.
	a = one(t, "generic", genericItem(`"a"`, `"r"`, okTime, `,"lastSeen":"0001-01-01T00:00:00Z"`))
	if !a.LastSeen.Equal(a.FirstSeen) {
		t.Fatalf("lastSeen = %v", a.LastSeen)
	}
	ocsf := `{"class_uid":2004,"severity_id":2,"time":%d,"finding_info":{"uid":"o","title":"T"},"resources":[{"uid":"r"}]}`
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for _, v := range []int64{at.Unix(), at.UnixMilli()} {
		if a := one(t, "ocsf", fmt.Sprintf(ocsf, v)); !a.FirstSeen.Equal(at) {
			t.Errorf("time %d read as %v, want %v", v, a.FirstSeen, at)
		}
	}
}

// The id field named in a refusal is each format's own.
func TestIDFieldPerSource(t *testing.T) {
	for _, s := range normalize.Sources() {
		if s.IDField == "" {
			t.Errorf("%s has no IDField", s.Name)
		}
	}
	if _, ok := normalize.Lookup(alert.ProviderGeneric); !ok {
		t.Fatal("no generic source")
	}
}
