package handler_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/writeback/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

var day0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// sampleAlerts normalises sample payloads as ingest does.
func sampleAlerts(t *testing.T, provider string, files ...string) []*alert.Alert {
	t.Helper()
	var out []*alert.Alert
	for _, f := range files {
		body, err := os.ReadFile("../../../events/samples/" + f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := normalize.Parse(provider, body, day0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", f, r.Err)
			}
			out = append(out, r.Alert)
		}
	}
	return out
}

// TestWriteBackFromTheTable runs the whole path on the real table (moto):
// sample GuardDuty and Security Hub alerts stored as ingest stores them,
// an incident over them resolved as the API does, the stream records
// selected by resources.WriteBack's filters as Lambda would, and the
// handler writing back to the fake Security Hub and GuardDuty.
func TestWriteBackFromTheTable(t *testing.T) {
	ctx := context.Background()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	table := mototest.UniqueName("muster-wb")
	streamARN, err := dynamostore.CreateTable(ctx, db, table)
	if err != nil {
		t.Fatal(err)
	}
	store := dynamostore.New(db, table, dynamostore.Options{})
	alerts := append(sampleAlerts(t, alert.ProviderGuardDuty, "guardduty/port-probe.json", "guardduty/ssh-brute-force.json"),
		sampleAlerts(t, alert.ProviderSecurityHub, "securityhub/imported-inspector-and-control.json")...)
	var members []incident.Membership
	want := map[string]string{} // finding id → product ARN
	for _, a := range alerts {
		if _, err := store.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
		members = append(members, incident.Membership{AlertID: a.ID, JoinedAt: day0, Reason: "sample"})
		want[a.SourceID] = ""
	}
	if len(want) < 3 {
		t.Fatalf("only %d sample findings", len(want))
	}
	inc := incident.Incident{ID: "inc-wb", Title: "Security incident detected on i-0abc", Severity: alert.High,
		Status: incident.StatusActive, CreatedAt: day0, UpdatedAt: day0}
	if err := store.SeedIncident(ctx, inc, members); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PatchIncident(ctx, inc.ID, 1, func(i *incident.Incident) ([]incident.TimelineEntry, error) {
		i.Status, i.UpdatedBy = incident.StatusDismissed, "alice"
		return []incident.TimelineEntry{{At: day0, Actor: "alice", Action: "status", From: "Active", To: "Dismissed"}}, nil
	}); err != nil {
		t.Fatal(err)
	}

	all := mototest.NewStream(t, srv.Config(), streamARN).Records()
	selected := mototest.Select(t, resources.WriteBack.Filters, all)
	if len(selected) != 1 || selected[0].EventName != "MODIFY" {
		t.Fatalf("the filters selected %d of %d records, want the incident's one MODIFY", len(selected), len(all))
	}

	fake := newFakeAWS(t)
	sh, gd := fake.clients(sdkRetries)
	var dead letters
	h := handler.New(store, &dead, handler.Options{SecurityHub: sh, GuardDuty: gd, ConsoleURL: "https://muster.example.com", Logger: testLogger(t)})
	resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: selected})
	if err != nil || len(resp.BatchItemFailures) > 0 || len(dead) > 0 {
		t.Fatalf("Handle: %v %v %v", err, resp.BatchItemFailures, dead)
	}
	got := map[string]string{}
	for _, u := range fake.updates {
		if u.Workflow.Status != "SUPPRESSED" {
			t.Errorf("workflow %s", u.Workflow.Status)
		}
		for _, id := range u.FindingIdentifiers {
			got[id.ID] = id.ProductArn
		}
	}
	for id := range want {
		if got[id] == "" {
			t.Errorf("finding %s not written back", id)
		}
		if strings.HasPrefix(id, "arn:aws:guardduty:") && !strings.HasSuffix(got[id], "::product/aws/guardduty") {
			t.Errorf("GuardDuty finding %s with product %s", id, got[id])
		}
	}
	var archived []string
	for _, c := range fake.archives {
		if c.Op != "archive" {
			t.Errorf("GuardDuty %s, want archive", c.Op)
		}
		archived = append(archived, c.FindingIDs...)
	}
	for id := range want {
		if strings.HasPrefix(id, "arn:aws:guardduty:") && !slices.ContainsFunc(archived, func(f string) bool { return strings.HasSuffix(id, "/finding/"+f) }) {
			t.Errorf("GuardDuty finding %s not archived (archived %v)", id, archived)
		}
	}
}
