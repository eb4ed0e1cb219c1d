package incidentevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent/eventschema"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/playbook"
)

var update = flag.Bool("update", false, "rewrite events/golden from the code")

var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// sample is the incident the examples start from: a campaign on one EC2
// instance, as the correlator would store it.
func sample() incident.Incident {
	return incident.Incident{
		ID:          "inc-7f3a9c2e1b",
		Title:       "Security incident detected on web-prod-1",
		Description: "An attacker probed web-prod-1 from 198.51.100.23, brute-forced SSH and then reached it from a known command-and-control address.",
		Severity:    alert.High,
		Status:      incident.StatusActive,
		Resources: []alert.Resource{{
			ID: "i-0abc1234def567890", Type: "AwsEc2Instance", Name: "web-prod-1", Region: "eu-west-1", Account: "123456789012",
			Tags: map[string]string{"env": "prod", "team": "payments"},
		}},
		Tactics:       []killchain.Stage{killchain.PreAttack, killchain.InitialAccess, killchain.CommandAndControl},
		Techniques:    []string{"T1046", "T1110"},
		Entities:      []alert.Entity{{Type: alert.EntityIP, Value: "198.51.100.23", Public: true}, {Type: alert.EntityHost, Value: "ip-10-0-1-25"}},
		Sources:       []string{"guardduty", "alertmanager"},
		AlertCount:    4,
		FirstActivity: t0.Add(-3 * time.Hour),
		LastActivity:  t0.Add(-20 * time.Minute),
		CreatedAt:     t0,
		UpdatedAt:     t0,
		Version:       2,
	}
}

type example struct {
	name     string
	old, new *Image
	want     string // detail type; "" for no event
	fields   []string
	raised   bool
	by       string
}

func examples() []example {
	base := sample()
	group := base
	group.Tactics = []killchain.Stage{killchain.PreAttack}
	group.Version = 1

	grown := base
	grown.Version = 3
	grown.UpdatedAt = t0.Add(40 * time.Minute)
	grown.AlertCount = 6
	grown.Severity = alert.Critical
	grown.Tactics = append(append([]killchain.Stage(nil), base.Tactics...), killchain.Exfiltration)
	grown.LastActivity = t0.Add(35 * time.Minute)
	grown.Description = base.Description + " Instance credentials were then used from outside AWS."

	resolved := grown
	resolved.Version = 4
	resolved.UpdatedAt = t0.Add(3 * time.Hour)
	resolved.UpdatedBy = "alice@example.com"
	resolved.Status = incident.StatusResolved
	resolved.Classification = incident.TruePositive
	resolved.Owner = "alice@example.com"

	groupOnly := base
	groupOnly.Version = 3
	groupOnly.UpdatedAt = t0.Add(time.Minute) // bookkeeping only

	tagged := base
	tagged.Version = 3
	tagged.Resources = []alert.Resource{base.Resources[0]}
	tagged.Resources[0].Tags = map[string]string{"env": "prod", "team": "payments", "owner": "sre"}

	merged := base
	merged.Version = 3
	merged.MergedInto = "inc-1111111111"

	lowered := base
	lowered.Version = 3
	lowered.Severity = alert.Medium
	lowered.SeveritySetBy = "bob@example.com"
	lowered.UpdatedBy = "bob@example.com"

	dissolved := base
	dissolved.Version = 3
	dissolved.Confidence = 35

	reopened := resolved
	reopened.Version = 5
	reopened.UpdatedBy = ""
	reopened.Status = incident.StatusActive
	reopened.AlertCount = 7

	return []example{
		{"group below threshold inserted", nil, &Image{Incident: group, IsIncident: false}, "", nil, false, ""},
		{"group below threshold grows", &Image{Incident: group, IsIncident: false}, &Image{Incident: group, IsIncident: false}, "", nil, false, ""},
		{"group becomes incident", &Image{Incident: group, IsIncident: false}, &Image{Incident: base, IsIncident: true}, DetailTypeCreated, nil, true, DefaultActor},
		{"inserted as incident", nil, &Image{Incident: base, IsIncident: true}, DetailTypeCreated, nil, true, DefaultActor},
		{"incident grows", &Image{Incident: base, IsIncident: true, Members: []string{"a1", "a2"}}, &Image{Incident: grown, IsIncident: true, Members: []string{"a1", "a2", "a3"}}, DetailTypeUpdated,
			[]string{"description", "severity", "tactics", "alertCount", "lastActivity"}, true, DefaultActor},
		{"status and more in one write", &Image{Incident: grown, IsIncident: true}, &Image{Incident: resolved, IsIncident: true}, DetailTypeStatusChanged,
			[]string{"status", "classification", "owner"}, false, "alice@example.com"},
		{"reopened by correlator", &Image{Incident: resolved, IsIncident: true}, &Image{Incident: reopened, IsIncident: true}, DetailTypeStatusChanged,
			[]string{"status", "alertCount"}, false, DefaultActor},
		{"only private state or bookkeeping", &Image{Incident: base, IsIncident: true}, &Image{Incident: groupOnly, IsIncident: true}, "", nil, false, ""},
		{"resource tag added", &Image{Incident: base, IsIncident: true}, &Image{Incident: tagged, IsIncident: true}, DetailTypeUpdated, []string{"resources"}, false, DefaultActor},
		{"merged", &Image{Incident: base, IsIncident: true}, &Image{Incident: merged, IsIncident: true}, DetailTypeUpdated, []string{"mergedInto"}, false, DefaultActor},
		{"severity lowered by a person", &Image{Incident: base, IsIncident: true}, &Image{Incident: lowered, IsIncident: true}, DetailTypeUpdated, []string{"severity"}, false, "bob@example.com"},
		{"incident dissolved", &Image{Incident: base, IsIncident: true}, &Image{Incident: dissolved, IsIncident: false}, DetailTypeUpdated, []string{"confidence"}, false, DefaultActor},
		{"merged incident leaves no dissolved event", &Image{Incident: merged, IsIncident: true}, &Image{Incident: merged, IsIncident: false}, "", nil, false, ""},
		{"no new image", &Image{Incident: base, IsIncident: true}, nil, "", nil, false, ""},
	}
}

// TestDissolvedKind: an incident that stopped being one (a noisy key undid
// its links) is announced as an update of kind dissolved.
func TestDissolvedKind(t *testing.T) {
	for _, ex := range examples() {
		if ex.name != "incident dissolved" {
			continue
		}
		ev, ok := Builder{}.FromChange(ex.old, ex.new)
		if !ok || ev.Detail.Change.Kind != KindDissolved {
			t.Fatalf("kind = %q (ok %v), want %q", ev.Detail.Change.Kind, ok, KindDissolved)
		}
		return
	}
	t.Fatal("no dissolved example")
}

// TestUpdateKinds: an update says what a bot mirroring the incident needs.
func TestUpdateKinds(t *testing.T) {
	base := sample()
	owned, raised, merged := base, base, base
	owned.Owner, owned.Version = "alice", base.Version+1
	raised.Severity, raised.Version = alert.Critical, base.Version+1
	merged.MergedInto, merged.Version = "inc-other", base.Version+1
	members := []string{"a1", "a2"}
	cases := []struct {
		name       string
		new        incident.Incident
		newMembers []string
		kind       string
		alerts     []string
	}{
		{"alerts added", base, []string{"a1", "a2", "a3", "a0"}, KindAlertsAdded, []string{"a0", "a3"}},
		{"alert removed", base, []string{"a2"}, KindAlertsRemoved, []string{"a1"}},
		{"merged into another", merged, members, KindMerged, nil},
		{"owner changed", owned, members, KindOwnerChanged, nil},
		{"severity changed", raised, members, KindSeverityChanged, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := &Image{Incident: base, IsIncident: true, Members: members}
			if tc.kind == KindAlertsAdded || tc.kind == KindAlertsRemoved {
				tc.new.AlertCount, tc.new.Version = base.AlertCount+len(tc.newMembers)-len(members), base.Version+1
			}
			ev, ok := Builder{}.FromChange(old, &Image{Incident: tc.new, IsIncident: true, Members: tc.newMembers})
			if !ok || ev.Detail.Change.Kind != tc.kind || !reflect.DeepEqual(ev.Detail.Change.Alerts, tc.alerts) {
				t.Fatalf("kind %q alerts %v (ok %v), want %q %v", ev.Detail.Change.Kind, ev.Detail.Change.Alerts, ok, tc.kind, tc.alerts)
			}
		})
	}
	c := incident.Comment{ID: "c1", At: t0, Author: "bob", Text: "looking"}
	ev := Builder{}.FromComment(c, base)
	if ev.Detail.Change.Kind != KindCommentAdded || ev.Detail.Comment == nil || ev.DetailType != DetailTypeUpdated || ev.ID() != base.ID+":comment:c1" {
		t.Errorf("comment event = %+v", ev.Detail)
	}
	detail, _ := ev.DetailJSON()
	if err := loadSchemas(t).Validate(DetailTypeUpdated, detail); err != nil {
		t.Errorf("schema: %v", err)
	}
}

func TestFromChange(t *testing.T) {
	b := Builder{APIURL: "https://muster.example.com/api/"}
	for _, tt := range examples() {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := b.FromChange(tt.old, tt.new)
			if tt.want == "" {
				if ok {
					t.Fatalf("got %s event, want none", ev.DetailType)
				}
				return
			}
			if !ok {
				t.Fatalf("no event, want %s", tt.want)
			}
			if ev.DetailType != tt.want {
				t.Errorf("detail type %q, want %q", ev.DetailType, tt.want)
			}
			var fields []string
			for _, f := range ev.Detail.Change.Fields {
				fields = append(fields, f.Field)
			}
			if fmt.Sprint(fields) != fmt.Sprint(tt.fields) {
				t.Errorf("fields %v, want %v", fields, tt.fields)
			}
			if ev.Detail.Change.SeverityRaised != tt.raised {
				t.Errorf("severityRaised %v, want %v", ev.Detail.Change.SeverityRaised, tt.raised)
			}
			if ev.Detail.Change.By != tt.by {
				t.Errorf("by %q, want %q", ev.Detail.Change.By, tt.by)
			}
			inc := tt.new.Incident
			if want := EventID(inc.ID, inc.Version); ev.ID() != want {
				t.Errorf("id %q, want %q", ev.ID(), want)
			}
			if want := "https://muster.example.com/api/incidents/" + inc.ID; ev.Detail.Incident.Links.Self != want {
				t.Errorf("self link %q, want %q", ev.Detail.Incident.Links.Self, want)
			}
			// Deciding twice from the same images gives the same event.
			again, _ := b.FromChange(tt.old, tt.new)
			b1, _ := ev.DetailJSON()
			b2, _ := again.DetailJSON()
			if !bytes.Equal(b1, b2) {
				t.Error("the same change built two different events")
			}
		})
	}
}

func TestFieldValues(t *testing.T) {
	ex := examples()[4] // incident grows
	ev, _ := Builder{}.FromChange(ex.old, ex.new)
	got := map[string]FieldChange{}
	for _, f := range ev.Detail.Change.Fields {
		got[f.Field] = f
	}
	if f := got["severity"]; f.From != "High" || f.To != "Critical" {
		t.Errorf("severity %v → %v", f.From, f.To)
	}
	if f := got["alertCount"]; f.From != 4 || f.To != 6 {
		t.Errorf("alertCount %v → %v", f.From, f.To)
	}
	to, _ := json.Marshal(got["tactics"].To)
	if string(to) != `["PreAttack","InitialAccess","CommandAndControl","Exfiltration"]` {
		t.Errorf("tactics to %s", to)
	}
}

func TestResponseEvent(t *testing.T) {
	req := incident.ResponseRequest{
		ID: "req-01", IncidentID: "inc-7f3a9c2e1b", Playbook: playbook.IsolateInstance,
		Parameters:  map[string]any{"instanceId": "i-0abc1234def567890"},
		RequestedBy: "alice@example.com", RequestedAt: t0.Add(time.Hour),
	}
	ev := Builder{}.FromResponse(req, sample())
	if ev.DetailType != DetailTypeResponseRequested || ev.ID() != "inc-7f3a9c2e1b:response:req-01" {
		t.Fatalf("got %s %s", ev.DetailType, ev.ID())
	}
	b, err := ev.DetailJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"playbook":"isolate-instance"`, `"parameters":{"instanceId":"i-0abc1234def567890"}`, `"requestedBy":"alice@example.com"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("detail lacks %s: %s", want, b)
		}
	}
	req.Parameters = nil
	b, _ = Builder{}.FromResponse(req, sample()).DetailJSON()
	if !bytes.Contains(b, []byte(`"parameters":{}`)) {
		t.Errorf("nil parameters not written as {}: %s", b)
	}
}

func TestLargeIncidentIsTrimmed(t *testing.T) {
	inc := sample()
	inc.Resources = nil
	inc.Entities = nil
	for i := range 400 {
		tags := map[string]string{}
		for j := range 40 {
			tags[fmt.Sprintf("tag-%02d", j)] = strings.Repeat("v", 200)
		}
		inc.Resources = append(inc.Resources, alert.Resource{ID: fmt.Sprintf("arn:aws:s3:::bucket-%03d", i), Tags: tags})
		inc.Entities = append(inc.Entities, alert.Entity{Type: alert.EntityDomain, Value: fmt.Sprintf("c2-%03d.example.net", i)})
	}
	old := sample()
	old.Version = 1
	ev, ok := Builder{}.FromChange(&Image{Incident: old, IsIncident: true}, &Image{Incident: inc, IsIncident: true})
	if !ok {
		t.Fatal("no event")
	}
	b, err := ev.DetailJSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxDetailBytes {
		t.Fatalf("detail is %d bytes, over %d", len(b), MaxDetailBytes)
	}
	var d Detail
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if !d.Incident.Truncated || d.Incident.ResourceCount != 400 || d.Incident.EntityCount != 400 {
		t.Errorf("truncated=%v resourceCount=%d entityCount=%d", d.Incident.Truncated, d.Incident.ResourceCount, d.Incident.EntityCount)
	}
	v := loadSchemas(t)
	if err := v.Validate(ev.DetailType, b); err != nil {
		t.Errorf("trimmed detail invalid: %v", err)
	}
}

func loadSchemas(t *testing.T) *eventschema.Validator {
	t.Helper()
	v, err := eventschema.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Envelope is the event as EventBridge delivers it to a target; the golden
// files use example values for the fields EventBridge fills in.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func goldenEvents(t *testing.T) map[string]Event {
	t.Helper()
	b := Builder{APIURL: "https://muster.example.com"}
	ex := examples()
	out := map[string]Event{}
	for _, i := range []int{2, 4, 5} {
		ev, ok := b.FromChange(ex[i].old, ex[i].new)
		if !ok {
			t.Fatalf("example %q built no event", ex[i].name)
		}
		out[ev.DetailType] = ev
	}
	req := incident.ResponseRequest{
		ID: "req-01", IncidentID: "inc-7f3a9c2e1b", Playbook: playbook.IsolateInstance,
		Parameters:  map[string]any{"instanceId": "i-0abc1234def567890", "quarantineSecurityGroup": "sg-0123456789abcdef0"},
		RequestedBy: "alice@example.com", RequestedAt: t0.Add(time.Hour),
	}
	out[DetailTypeResponseRequested] = b.FromResponse(req, sample())
	done := req
	done.Reports = 1 // the playbook reported Running before
	if err := done.Report(incident.ResponseReport{Status: incident.ResponseSucceeded, Message: "Instance moved to the quarantine group; 2 volumes snapshotted.",
		Outputs: map[string]any{"snapshotIds": []string{"snap-0a1b2c3d4e5f60718", "snap-0f1e2d3c4b5a69788"}},
		Link:    "https://eu-west-1.console.aws.amazon.com/states/home#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:muster-isolate-instance:req-01"},
		t0.Add(time.Hour+4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	before := req
	before.Reports = 1
	ev, ok := b.FromResponseUpdate(before, done, sample())
	if !ok {
		t.Fatal("a report built no event")
	}
	out[DetailTypeResponseUpdated] = ev
	return out
}

func TestGolden(t *testing.T) {
	v := loadSchemas(t)
	root, err := eventschema.RepoDir()
	if err != nil {
		t.Fatal(err)
	}
	events := goldenEvents(t)
	if len(events) != len(DetailTypes) {
		t.Fatalf("golden events cover %d detail types, want %d", len(events), len(DetailTypes))
	}
	for _, dt := range DetailTypes {
		t.Run(dt, func(t *testing.T) {
			ev := events[dt]
			detail, err := ev.DetailJSON()
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(dt, detail); err != nil {
				t.Fatalf("schema: %v", err)
			}
			env := Envelope{Version: "0", ID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", DetailType: dt, Source: Source,
				Account: "123456789012", Time: ev.Time.UTC().Format(time.RFC3339), Region: "eu-west-1",
				Resources: []string{}, Detail: detail}
			got, err := json.MarshalIndent(env, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join(root, "events", "golden", eventschema.FileName(dt))
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./shared/incidentevent -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the code's output (run go test ./shared/incidentevent -update):\n%s", path, got)
			}
			var back Envelope
			if err := json.Unmarshal(want, &back); err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(back.DetailType, back.Detail); err != nil {
				t.Errorf("golden file detail: %v", err)
			}
		})
	}
}

func TestSchemasRejectBadDetails(t *testing.T) {
	v := loadSchemas(t)
	ev := goldenEvents(t)[DetailTypeStatusChanged]
	good, _ := ev.DetailJSON()
	tests := []struct {
		name   string
		dt     string
		mutate func(m map[string]any)
	}{
		{"wrong kind for type", DetailTypeUpdated, func(map[string]any) {}},
		{"missing incident", DetailTypeStatusChanged, func(m map[string]any) { delete(m, "incident") }},
		{"bad severity", DetailTypeStatusChanged, func(m map[string]any) { m["incident"].(map[string]any)["severity"] = "Severe" }},
		{"bad version", DetailTypeStatusChanged, func(m map[string]any) { m["version"] = "2" }},
		{"status not first", DetailTypeStatusChanged, func(m map[string]any) {
			f := m["change"].(map[string]any)["fields"].([]any)
			f[0], f[1] = f[1], f[0]
		}},
		{"unknown top-level field", DetailTypeStatusChanged, func(m map[string]any) { m["extra"] = 1 }},
		{"bad time", DetailTypeStatusChanged, func(m map[string]any) { m["change"].(map[string]any)["at"] = "yesterday" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			b, _ := json.Marshal(m)
			if err := v.Validate(tt.dt, b); err == nil {
				t.Error("schema accepted a bad detail")
			}
		})
	}
	if err := v.Validate("Incident Exploded", good); !errors.Is(err, eventschema.ErrNoSchema) {
		t.Errorf("unknown detail type: %v", err)
	}
}
