package handler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/rulemeta"
)

// fakeAutomation holds rules and fails where told.
type fakeAutomation struct {
	rules             []automation.Rule
	listErr, applyErr error
	applied           int
}

func (f *fakeAutomation) ListAutomationRules(context.Context) ([]automation.Rule, error) {
	return f.rules, f.listErr
}

func (f *fakeAutomation) ApplyAutomation(context.Context, string, int64, automation.Outcome) error {
	if f.applyErr == nil {
		f.applied++
	}
	return f.applyErr
}

func (f *fakeAutomation) RecordAutomationHits(context.Context, []string, time.Time) error { return nil }

func (f *fakeAutomation) ListAlerts(context.Context, listing.Filter, int, string) (listing.Page, error) {
	return listing.Page{}, nil
}

// TestAutomationFailuresRetryTheRecord: a rule read or write that fails
// names the record in BatchItemFailures (its event waits for the retry);
// a conflict or a replay does not.
func TestAutomationFailuresRetryTheRecord(t *testing.T) {
	rule := automation.Rule{Meta: rulemeta.Meta{ID: "r1"}, Name: "assign", State: automation.Enabled, Triggers: []automation.Trigger{automation.TriggerCreated},
		Actions: []automation.Action{{Type: "assign", Owner: "alice"}}}
	cases := []struct {
		name      string
		auto      *fakeAutomation
		retried   int
		published int
	}{
		{"applied", &fakeAutomation{rules: []automation.Rule{rule}}, 0, 1},
		{"rules unreadable", &fakeAutomation{listErr: errors.New("throttled")}, 1, 0},
		{"write failed", &fakeAutomation{rules: []automation.Rule{rule}, applyErr: errors.New("throttled")}, 1, 0},
		{"replayed", &fakeAutomation{rules: []automation.Rule{rule}, applyErr: automation.ErrApplied}, 0, 1},
		{"no rules", &fakeAutomation{}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bus := &fakeBus{}
			pub := eventbus.New(bus, "muster", eventbus.Options{MaxAttempts: 1, Sleep: noSleep})
			h := New(pub, fakeIncidents{}, &fakeDead{}, Options{Automation: tc.auto,
				Logger: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))})
			inc := newIncident("a", alert.High, killchain.InitialAccess)
			batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(t, 1, "INSERT", nil, incidentItem(t, inc, true, `{}`))}}
			resp, err := h.Handle(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.BatchItemFailures) != tc.retried || len(bus.accepted) != tc.published {
				t.Errorf("retried %d published %d, want %d %d", len(resp.BatchItemFailures), len(bus.accepted), tc.retried, tc.published)
			}
		})
	}
	// A rule's own change runs no rule, not even a read of them.
	auto := &fakeAutomation{listErr: errors.New("must not be read")}
	h := New(eventbus.New(&fakeBus{}, "muster", eventbus.Options{Sleep: noSleep}), fakeIncidents{}, &fakeDead{}, Options{Automation: auto,
		Logger: slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))})
	old := newIncident("a", alert.High, killchain.InitialAccess)
	byRule := next(old, func(i *incident.Incident) { i.Owner, i.UpdatedBy = "alice", automation.Actor("assign") })
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record(t, 2, "MODIFY", incidentItem(t, old, true, `{}`), incidentItem(t, byRule, true, `{}`))}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("a rule's change: %+v, %v", resp, err)
	}
}
