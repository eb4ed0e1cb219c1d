package handler_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/resources"
)

// drain hands the correlator every alert record written since the last
// call, as its stream filter does, until the stream is quiet.
func drain(t *testing.T, e *env, h interface {
	Handle(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}) {
	t.Helper()
	for range 5 {
		var recs []events.DynamoDBEventRecord
		for _, r := range e.records() {
			if strings.HasPrefix(r.Change.Keys[resources.AttrPK].String(), resources.PrefixAlert) {
				recs = append(recs, r)
			}
		}
		if len(recs) == 0 {
			return
		}
		if resp := handle(t, h, recs); len(resp.BatchItemFailures) > 0 {
			t.Fatalf("correlator failures: %v", resp.BatchItemFailures)
		}
	}
}

// alertStatusFor is the status a person's incident change gives its alerts.
var alertStatusFor = map[incident.Status]alert.Status{
	incident.StatusResolved: alert.StatusResolved, incident.StatusDismissed: alert.StatusDismissed,
	incident.StatusActive: alert.StatusActive,
}

// TestWriteBackEchoChangesNothing: after write-back, Security Hub sends
// the updated findings back through the findings rule. That echo must
// leave the incident as the person left it: a finding re-delivered
// Resolved after the incident was resolved, or Active after a reopening's
// NEW write-back when the incident has since been dismissed again.
func TestWriteBackEchoChangesNothing(t *testing.T) {
	tests := []struct {
		name  string
		steps []incident.Status
		echo  alert.Status
		// awsOnly keeps only the campaign's GuardDuty and Security Hub
		// alerts, so that every member is echoed; the echoes then carry
		// Muster's note (StatusEcho, as the Security Hub parser marks
		// them), without which a late Resolved echo of every member would
		// auto-resolve the reopened incident.
		awsOnly bool
	}{
		{"resolved, echo Resolved", []incident.Status{incident.StatusResolved}, alert.StatusResolved, false},
		{"dismissed, echo Dismissed", []incident.Status{incident.StatusDismissed}, alert.StatusDismissed, false},
		{"reopened then dismissed, late echo Active", []incident.Status{incident.StatusDismissed, incident.StatusActive, incident.StatusDismissed}, alert.StatusActive, false},
		{"resolved, reopened, resolved, late echo Active", []incident.Status{incident.StatusResolved, incident.StatusActive, incident.StatusResolved}, alert.StatusActive, false},
		{"resolved then reopened, late echo Resolved", []incident.Status{incident.StatusResolved, incident.StatusActive}, alert.StatusResolved, false},
		{"dismissed then reopened, late echo Dismissed", []incident.Status{incident.StatusDismissed, incident.StatusActive}, alert.StatusDismissed, false},
		{"only findings: resolved then reopened, late echo Resolved", []incident.Status{incident.StatusResolved, incident.StatusActive}, alert.StatusResolved, true},
		{"only findings: dismissed then reopened, late echo Dismissed", []incident.Status{incident.StatusDismissed, incident.StatusActive}, alert.StatusDismissed, true},
		{"only findings: resolved, echo Resolved", []incident.Status{incident.StatusResolved}, alert.StatusResolved, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			h := e.handler(correlate.DefaultConfig(), nil)
			attack, _, _ := samples(t)
			if tc.awsOnly {
				attack = slices.DeleteFunc(attack, func(a *alert.Alert) bool {
					return a.Provider != alert.ProviderSecurityHub && a.Provider != alert.ProviderGuardDuty
				})
			}
			e.put(attack...)
			drain(t, e, h)
			incs := liveIncidents(e.groups())
			if len(incs) != 1 {
				t.Fatalf("%d incidents from the campaign, want 1", len(incs))
			}
			id, members := incs[0].ID(), incs[0].MemberIDs()
			for _, st := range tc.steps {
				e.setStatus(id, members, st)
				drain(t, e, h)
			}
			before, err := e.store.GetIncident(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.steps[len(tc.steps)-1]; before.Status != want {
				t.Fatalf("incident %s before the echo, want %s", before.Status, want)
			}
			echoed := 0
			for _, a := range attack {
				if a.Provider != alert.ProviderSecurityHub && a.Provider != alert.ProviderGuardDuty {
					continue
				}
				echo := *a
				echo.Status, echo.UpdatedAt, echo.StatusEcho = tc.echo, clock().Add(time.Hour), tc.awsOnly
				e.put(&echo)
				echoed++
			}
			if echoed == 0 {
				t.Fatal("no Security Hub or GuardDuty alert in the campaign to echo")
			}
			drain(t, e, h)
			after, err := e.store.GetIncident(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if after.Status != before.Status || after.UpdatedBy != before.UpdatedBy {
				t.Errorf("echo of %d findings moved the incident from %s (by %s) to %s (by %s)",
					echoed, before.Status, before.UpdatedBy, after.Status, after.UpdatedBy)
			}
		})
	}
}

// setStatus changes the incident's status as a person does through the
// API: the incident, then its alerts.
func (e *env) setStatus(id string, members []string, st incident.Status) {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.store.GetIncident(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.store.PatchIncident(ctx, id, cur.Version, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		from := inc.Status
		inc.Status, inc.UpdatedBy = st, "alice"
		return []incident.TimelineEntry{{At: clock(), Actor: "alice", Action: "status", From: string(from), To: string(st)}}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.SetAlertStatus(ctx, members, alertStatusFor[st]); err != nil {
		e.t.Fatal(err)
	}
}
