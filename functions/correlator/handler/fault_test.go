package handler_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/correlator/handler"
	"github.com/muster-sec/muster/functions/correlator/redrive"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/scenario"
	"github.com/muster-sec/muster/shared/storetest"
)

// mapping delivers batches as the correlator's event source mapping does
// with a retry budget: a batch's failed records are delivered again, at
// most retries times; what still fails is parked and returned.
func mapping(t testing.TB, h *handler.Handler, batches [][]events.DynamoDBEventRecord, retries int) (parked []events.DynamoDBEventRecord) {
	t.Helper()
	for _, b := range batches {
		for attempt := 0; len(b) > 0; attempt++ {
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: b})
			if err != nil {
				t.Fatal(err)
			}
			next := stillFailing(b, resp)
			if attempt == retries {
				parked = append(parked, next...)
				break
			}
			b = next
		}
	}
	return parked
}

// exactlyOnce fails the test unless every alert is a member of exactly one
// live group, and every alert of an incident names that incident.
func exactlyOnce(t *testing.T, e *env, ids []string) {
	t.Helper()
	in := map[string][]string{}
	for _, g := range e.groups() {
		if !g.Live() {
			continue
		}
		for _, id := range g.MemberIDs() {
			in[id] = append(in[id], g.ID())
		}
	}
	lost, twice := 0, 0
	for _, id := range ids {
		switch gs := in[id]; {
		case len(gs) == 0:
			lost++
		case len(gs) > 1:
			twice++
			t.Errorf("alert %s is in %d groups: %v", id, len(gs), gs)
		}
	}
	if lost > 0 || twice > 0 {
		t.Fatalf("of %d alerts, %d are in no group and %d in more than one", len(ids), lost, twice)
	}
	for _, g := range liveIncidents(e.groups()) {
		for _, id := range g.MemberIDs() {
			if got := e.alertDoc(id).IncidentID; got != g.ID() {
				t.Errorf("alert %s names incident %q, is a member of %s", id, got, g.ID())
			}
		}
	}
}

func faultScenario() *scenario.Scenario {
	return scenario.Generate(scenario.Config{Seed: 11, Noise: scenario.NoiseLegacy, Campaigns: 3, MultiResource: 0.5, Repeats: -1,
		MinAlerts: 5, MaxAlerts: 8, NoiseAlerts: 10, NoiseResources: 8, Scanners: -1})
}

// TestOutageWithinTheRetryBudgetLosesNothing: the store fails for a while
// in the middle of the stream (longer than five retries of a batch), and
// the mapping's budget (resources.Correlator) outlasts it: nothing is
// parked, every alert is correlated exactly once, and the outcome is the
// one of a healthy store.
func TestOutageWithinTheRetryBudgetLosesNothing(t *testing.T) {
	sc := faultScenario()
	var ids []string
	for _, a := range sc.Alerts {
		ids = append(ids, a.ID)
	}
	nm := map[string]string{}
	for _, a := range sc.Alerts {
		nm[a.ID] = a.SourceID
	}
	healthy := newEnv(t)
	healthy.put(sc.Alerts...)
	if parked := mapping(t, healthy.handler(correlate.DefaultConfig(), nil), chunk(healthy.records(), 10), 0); len(parked) != 0 {
		t.Fatalf("a healthy store parked %d records", len(parked))
	}

	e := newEnv(t)
	e.put(sc.Alerts...)
	batches := chunk(e.records(), 10)
	st := &storetest.Outage{Store: e.store}
	h := e.handler(correlate.DefaultConfig(), st)
	// The first batches pass; the store then fails for 60 calls, more than
	// a batch makes in six attempts.
	parked := mapping(t, h, batches[:2], resources.Correlator.MaxRetryAttempts)
	st.N.Store(st.Calls.Load() + 60)
	parked = append(parked, mapping(t, h, batches[2:], resources.Correlator.MaxRetryAttempts)...)
	if len(parked) != 0 {
		t.Fatalf("%d records parked after an outage of 60 store calls (retry budget %d)", len(parked), resources.Correlator.MaxRetryAttempts)
	}
	if st.Calls.Load() <= st.N.Load() {
		t.Fatalf("the outage did not end: %d calls, %d failed", st.Calls.Load(), st.N.Load())
	}
	exactlyOnce(t, e, ids)
	if got, want := e.outcome(nm), healthy.outcome(nm); !reflect.DeepEqual(got, want) {
		t.Fatalf("outcome after the outage differs:\n got %v\nwant %v", got, want)
	}
}

// TestRedriveCorrelatesParkedAlertsOnce: an outage longer than the
// budget parks records; the redrive touches their alerts, the touch
// reaches the correlator as MODIFY records, and afterwards every alert is
// correlated exactly once. A second redrive changes no group.
func TestRedriveCorrelatesParkedAlertsOnce(t *testing.T) {
	sc := faultScenario()
	var ids []string
	for _, a := range sc.Alerts {
		ids = append(ids, a.ID)
	}
	e := newEnv(t)
	e.put(sc.Alerts...)
	st := &storetest.Outage{Store: e.store}
	st.N.Store(1 << 40) // down for good: every batch parks
	h := e.handler(correlate.DefaultConfig(), st)
	parked := mapping(t, h, chunk(e.records(), 10), 2)
	if len(parked) != len(ids) {
		t.Fatalf("parked %d records, want all %d", len(parked), len(ids))
	}
	st.N.Store(0) // the store is back

	redriveAndDeliver := func() {
		t.Helper()
		got, err := redrive.Touch(context.Background(), e.db, e.table, redrive.AlertIDs(parked), clock().Add(time.Hour))
		if err != nil || got.Touched != len(ids) || got.Missing != 0 {
			t.Fatalf("touch = %+v, %v; want %d touched", got, err, len(ids))
		}
		if p := mapping(t, h, chunk(e.records(), 10), 5); len(p) != 0 {
			t.Fatalf("redriven records parked again: %d", len(p))
		}
	}
	redriveAndDeliver()
	exactlyOnce(t, e, ids)
	before := e.groups()
	redriveAndDeliver()
	exactlyOnce(t, e, ids)
	if after := e.groups(); !reflect.DeepEqual(before, after) {
		t.Fatal("a second redrive changed the groups")
	}
}
