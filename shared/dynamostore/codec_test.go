package dynamostore_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

func sampleAlert() *alert.Alert {
	a := &alert.Alert{
		Provider: "generic", SourceID: "x-1", Type: "T", Severity: alert.High,
		Tactics:   []killchain.Stage{killchain.Execution, killchain.InitialAccess},
		Resources: []alert.Resource{{ID: "arn:aws:ec2:us-east-1:1:instance/i-0123456789abcdef0", Tags: map[string]string{"env": "prod"}}},
		Entities:  []alert.Entity{{Type: "ip", Value: "203.0.113.5"}},
		FirstSeen: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	}
	a.Finish("", time.Date(2026, 11, 20, 8, 1, 0, 0, time.UTC))
	return a
}

// TestAlertRoundTripThroughStreamImage encodes an alert item, turns it into
// the JSON shape Lambda delivers in a stream record, and decodes it back.
func TestAlertRoundTripThroughStreamImage(t *testing.T) {
	a := sampleAlert()
	item, err := dynamostore.EncodeAlert(a, 3, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	img, err := dynamostore.ToImage(item)
	if err != nil {
		t.Fatal(err)
	}
	got, v, err := dynamostore.AlertFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if v != 3 {
		t.Errorf("version = %d, want 3", v)
	}
	if !reflect.DeepEqual(&got, a) {
		t.Errorf("round trip changed the alert:\n got %+v\nwant %+v", got, *a)
	}
	if got.Resources[0].ID != "i-0123456789abcdef0" {
		t.Errorf("resource not canonical: %s", got.Resources[0].ID)
	}
}

func TestIncidentRecordRoundTrip(t *testing.T) {
	r := dynamostore.IncidentRecord{
		Incident: incident.Incident{
			ID: "inc-1", Title: "Security incident detected on web", Severity: alert.Critical,
			Status: incident.StatusActive, Tactics: []killchain.Stage{killchain.InitialAccess},
			Resources: []alert.Resource{{ID: "i-1"}}, Sources: []string{"guardduty"}, AlertCount: 2,
			FirstActivity: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
			LastActivity:  time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
		},
		Group:      json.RawMessage(`{"members":{}}`),
		IsIncident: true,
		Version:    7,
	}
	item, err := dynamostore.EncodeIncident(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := dynamostore.StringAttr(item, "gsi1pk"); !strings.HasPrefix(got, "INCIDENT#2026-11#") || got != dynamostore.IncidentTimeBucket(r.Incident.LastActivity, "inc-1") {
		t.Errorf("gsi1pk = %q, want a shard of INCIDENT#2026-11", got)
	}
	got, err := dynamostore.DecodeIncident(item)
	if err != nil {
		t.Fatal(err)
	}
	r.Incident.Version = 7
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
	}
	// A group of linked alerts that is not yet an incident is a candidate:
	// in the time index's candidate partition, not the incidents'.
	r.IsIncident = false
	item, _ = dynamostore.EncodeIncident(r)
	if got := dynamostore.StringAttr(item, "gsi1pk"); r.Incident.AlertCount >= 2 && !strings.HasPrefix(got, "CANDIDATE#2026-11#") {
		t.Errorf("candidate's gsi1pk = %q", got)
	}
	// A lone alert's group stays out of the time index.
	r.Incident.AlertCount = 1
	item, _ = dynamostore.EncodeIncident(r)
	if _, ok := item["gsi1pk"]; ok {
		t.Error("a lone alert's group is in the time index")
	}
}
