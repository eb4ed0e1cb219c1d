package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/writeback/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
)

// memAlerts is an alert store in memory.
type memAlerts map[string]alert.Alert

func (m memAlerts) GetAlert(_ context.Context, id string) (alert.Alert, error) {
	a, ok := m[id]
	if !ok {
		return alert.Alert{}, fmt.Errorf("alert %s: %w", id, incident.ErrNotFound)
	}
	return a, nil
}

// letters keeps the reasons of dead letters; it refuses a letter that
// carries the record's images or a message over 64 KB, which the handler
// leaves out.
type letters []deadletter.Reason

func (l *letters) Send(_ context.Context, rec events.DynamoDBEventRecord, r deadletter.Reason) error {
	if rec.Change.NewImage != nil || rec.Change.OldImage != nil || len(r.Message) > 64<<10 {
		return errors.New("letter with images or an oversized message")
	}
	*l = append(*l, r)
	return nil
}

const detector = "d0abc"

// gdAlert is a GuardDuty alert; shAlert a Security Hub one with its raw ASFF.
func gdAlert(i int) alert.Alert {
	id := fmt.Sprintf("gd-%03d", i)
	return alert.Alert{ID: id, Provider: alert.ProviderGuardDuty,
		SourceID: fmt.Sprintf("arn:aws:guardduty:us-east-1:123456789012:detector/%s/finding/f%03d", detector, i)}
}

func shAlert(i int) alert.Alert {
	id := fmt.Sprintf("sh-%03d", i)
	return alert.Alert{ID: id, Provider: alert.ProviderSecurityHub, SourceID: "vendor-" + id,
		Raw: []byte(`{"ProductArn":"arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default","Id":"vendor-` + id + `"}`)}
}

// incidentRecord is the stream record of an incident going from old to new
// status, with members as its correlation state.
func incidentRecord(t *testing.T, seq string, old, new incident.Status, members []string) events.DynamoDBEventRecord {
	t.Helper()
	type member struct {
		AlertID string `json:"alertId"`
	}
	ms := make([]member, len(members))
	for i, id := range members {
		ms[i] = member{id}
	}
	group, _ := json.Marshal(map[string]any{"members": ms})
	image := func(s incident.Status, v int64) map[string]events.DynamoDBAttributeValue {
		item, err := dynamostore.EncodeIncident(dynamostore.IncidentRecord{IsIncident: true, Version: v, Group: group,
			Incident: incident.Incident{ID: "inc-1", Severity: alert.High, Title: "Security incident detected on i-0abc", Status: s, UpdatedBy: "alice"}})
		if err != nil {
			t.Fatal(err)
		}
		img, err := dynamostore.ToImage(item)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	return events.DynamoDBEventRecord{EventID: "ev-" + seq, EventName: "MODIFY",
		Change: events.DynamoDBStreamRecord{SequenceNumber: seq, OldImage: image(old, 1), NewImage: image(new, 2)}}
}

// testLogger keeps the handler's logs with the test's output, shown when
// the test fails (so a failure says which call failed and why).
func testLogger(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(t.Output(), nil)) }

// setup returns alerts (gd GuardDuty ones, sh Security Hub ones, and a
// Falco one and a missing id that are left out) and their member ids.
func setup(gd, sh int) (memAlerts, []string) {
	m := memAlerts{"falco-1": {ID: "falco-1", Provider: alert.ProviderFalco, SourceID: "x"}}
	ids := []string{"falco-1", "expired-1"}
	for i := range gd {
		a := gdAlert(i)
		m[a.ID], ids = a, append(ids, a.ID)
	}
	for i := range sh {
		a := shAlert(i)
		m[a.ID], ids = a, append(ids, a.ID)
	}
	return m, ids
}

func TestWriteBack(t *testing.T) {
	const (
		act = incident.StatusActive
		inp = incident.StatusInProgress
		res = incident.StatusResolved
		dis = incident.StatusDismissed
	)
	tests := []struct {
		name         string
		old, new     incident.Status
		gd, sh       int
		wantWorkflow string
		wantSHCalls  []int // identifiers per BatchUpdateFindings call
		wantGDOp     string
		wantGDCalls  []int // finding ids per archive call
		securityHub  bool
		guardDuty    bool
	}{
		{"resolved: 150 findings in two batches", act, res, 60, 90, "RESOLVED", []int{100, 50}, "", nil, true, true},
		{"dismissed: suppressed and archived", inp, dis, 60, 5, "SUPPRESSED", []int{65}, "archive", []int{50, 10}, true, true},
		{"dismissal undone: new and unarchived", dis, act, 3, 2, "NEW", []int{5}, "unarchive", []int{3}, true, true},
		{"resolution undone: new, nothing to unarchive", res, inp, 3, 2, "NEW", []int{5}, "", nil, true, true},
		{"no status change", act, inp, 3, 2, "", nil, "", nil, true, true},
		{"guardduty only", act, dis, 3, 2, "", nil, "archive", []int{3}, false, true},
		{"security hub only", act, dis, 3, 2, "SUPPRESSED", []int{5}, "", nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAWS(t)
			sh, gd := fake.clients(sdkRetries)
			opts := handler.Options{ConsoleURL: "https://muster.example.com", Logger: testLogger(t)}
			if tc.securityHub {
				opts.SecurityHub = sh
			}
			if tc.guardDuty {
				opts.GuardDuty = gd
			}
			alerts, ids := setup(tc.gd, tc.sh)
			var dead letters
			h := handler.New(alerts, &dead, opts)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{incidentRecord(t, "1", tc.old, tc.new, ids)}})
			if err != nil || len(resp.BatchItemFailures) > 0 || len(dead) > 0 {
				t.Fatalf("Handle: err %v, failures %v, dead letters %v", err, resp.BatchItemFailures, dead)
			}
			var shCalls []int
			seen := map[string]bool{}
			for _, u := range fake.updates {
				shCalls = append(shCalls, len(u.FindingIdentifiers))
				if u.Workflow.Status != tc.wantWorkflow {
					t.Errorf("Workflow.Status %q, want %q", u.Workflow.Status, tc.wantWorkflow)
				}
				if u.Note == nil || u.Note.UpdatedBy != "muster" || !strings.Contains(u.Note.Text, "inc-1") ||
					!strings.Contains(u.Note.Text, "https://muster.example.com/#/incidents/inc-1") {
					t.Errorf("note %+v", u.Note)
				}
				for _, id := range u.FindingIdentifiers {
					if seen[id.ID] {
						t.Errorf("finding %s updated twice", id.ID)
					}
					seen[id.ID] = true
					if strings.HasPrefix(id.ID, "arn:aws:guardduty:") && id.ProductArn != "arn:aws:securityhub:us-east-1::product/aws/guardduty" {
						t.Errorf("GuardDuty finding %s with ProductArn %s", id.ID, id.ProductArn)
					}
				}
			}
			if fmt.Sprint(shCalls) != fmt.Sprint(tc.wantSHCalls) {
				t.Errorf("BatchUpdateFindings calls of %v findings, want %v", shCalls, tc.wantSHCalls)
			}
			var gdCalls []int
			for _, c := range fake.archives {
				gdCalls = append(gdCalls, len(c.FindingIDs))
				if c.Op != tc.wantGDOp || c.Detector != detector {
					t.Errorf("GuardDuty %s on detector %s, want %s on %s", c.Op, c.Detector, tc.wantGDOp, detector)
				}
			}
			if fmt.Sprint(gdCalls) != fmt.Sprint(tc.wantGDCalls) {
				t.Errorf("GuardDuty calls of %v findings, want %v", gdCalls, tc.wantGDCalls)
			}
		})
	}
}
