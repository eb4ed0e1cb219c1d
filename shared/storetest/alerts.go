package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

// AlertStore is the alert storage ingest needs: idempotent puts (see
// normalize.Merge for how a re-delivery is folded in) and reads by id.
type AlertStore interface {
	PutAlert(ctx context.Context, a *alert.Alert) (normalize.PutResult, error)
	GetAlert(ctx context.Context, id string) (alert.Alert, error)
}

func init() { register("alerts", RunAlerts) }

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

const findingARN = "arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1"

// gdAlert is a GuardDuty SSH brute-force finding as normalize makes it.
func gdAlert(count int, last time.Time) *alert.Alert {
	a := &alert.Alert{
		Provider: alert.ProviderGuardDuty, SourceID: findingARN,
		Type: "UnauthorizedAccess:EC2/SSHBruteForce", Name: "SSH brute force",
		Severity: alert.Medium, Status: alert.StatusActive,
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.CredentialAccess},
		Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Name: "web-prod-1", Tags: map[string]string{"env": "prod"}}},
		Entities: []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.66"},
			{Type: alert.EntityHost, Value: "ip-10-0-1-25.ec2.internal"}},
		FirstSeen: t0, LastSeen: last, Count: count,
	}
	a.SetRaw([]byte(`{"source":"guardduty"}`))
	a.Finish("", t0.Add(time.Hour))
	return a
}

// shAlert is the Security Hub copy of the same finding.
func shAlert(count int, last time.Time) *alert.Alert {
	a := &alert.Alert{
		Provider: alert.ProviderSecurityHub, SourceID: findingARN,
		Type: "UnauthorizedAccess:EC2/SSHBruteForce", Name: "SSH brute force",
		Severity: alert.Medium, Status: alert.StatusActive,
		Tactics: []killchain.Stage{killchain.InitialAccess},
		Resources: []alert.Resource{{ID: "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718",
			Type: "AwsEc2Instance", Region: "us-east-1"}},
		Entities:  []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.66"}, {Type: alert.EntityIP, Value: "10.0.1.25"}},
		FirstSeen: t0, LastSeen: last, Count: count,
	}
	a.SetRaw([]byte(`{"source":"securityhub"}`))
	a.Finish(alert.ProviderGuardDuty, t0.Add(2*time.Hour))
	return a
}

func mustPut(t *testing.T, s AlertStore, a *alert.Alert) normalize.PutResult {
	t.Helper()
	r, err := s.PutAlert(context.Background(), a)
	if err != nil {
		t.Fatalf("PutAlert: %v", err)
	}
	return r
}

func mustGet(t *testing.T, s AlertStore, id string) alert.Alert {
	t.Helper()
	a, err := s.GetAlert(context.Background(), id)
	if err != nil {
		t.Fatalf("GetAlert: %v", err)
	}
	return a
}

// RunAlerts runs the alert conformance tests only.
func RunAlerts(t *testing.T, newStore func(t *testing.T) Store) {
	runSubtests(t, newStore, []subtest{
		{"new alert is accepted and readable", alertsNewIsReadable},
		{"exact re-delivery is a duplicate and changes nothing", alertsExactRedelivery},
		{"re-delivery updates count, lastSeen and status", alertsRedeliveryUpdates},
		{"GuardDuty finding and Security Hub copy are one alert in either order", alertsCopiesAreOne},
		{"a status set in Security Hub on the same sighting holds in either order", alertsCopyStatusHolds},
		{"suppressed alert stays dismissed on re-delivery", alertsSuppressedStaysDismissed},
		{"unknown id is not found", alertsUnknownID},
	})
}

// alertsNewIsReadable: new alert is accepted and readable.
func alertsNewIsReadable(t *testing.T, newStore func(t *testing.T) Store) {
	s := alertStore(t, newStore)
	a := gdAlert(3, t0.Add(10*time.Minute))
	r := mustPut(t, s, a)
	if r.Outcome != normalize.Accepted || !r.Changed {
		t.Fatalf("outcome = %v changed=%v, want accepted", r.Outcome, r.Changed)
	}
	got := mustGet(t, s, a.ID)
	if got.ID != a.ID || got.Count != 3 || !got.LastSeen.Equal(a.LastSeen) || got.Type != a.Type || string(got.Raw) != string(a.Raw) {
		t.Fatalf("stored alert = %+v", got)
	}
}

// alertsExactRedelivery: exact re-delivery is a duplicate and changes nothing.
func alertsExactRedelivery(t *testing.T, newStore func(t *testing.T) Store) {
	s := alertStore(t, newStore)
	a := gdAlert(3, t0.Add(10*time.Minute))
	mustPut(t, s, a)
	r := mustPut(t, s, gdAlert(3, t0.Add(10*time.Minute)))
	if r.Outcome != normalize.Duplicate || r.Changed {
		t.Fatalf("outcome = %v changed=%v, want unchanged duplicate", r.Outcome, r.Changed)
	}
}

// alertsRedeliveryUpdates: re-delivery updates count, lastSeen and status.
func alertsRedeliveryUpdates(t *testing.T, newStore func(t *testing.T) Store) {
	s := alertStore(t, newStore)
	mustPut(t, s, gdAlert(3, t0.Add(10*time.Minute)))
	later := gdAlert(9, t0.Add(40*time.Minute))
	later.Status = alert.StatusResolved
	r := mustPut(t, s, later)
	if r.Outcome != normalize.Duplicate || !r.Changed {
		t.Fatalf("outcome = %v changed=%v, want changed duplicate", r.Outcome, r.Changed)
	}
	got := mustGet(t, s, later.ID)
	if got.Count != 9 || !got.LastSeen.Equal(t0.Add(40*time.Minute)) || !got.FirstSeen.Equal(t0) || got.Status != alert.StatusResolved {
		t.Fatalf("after re-delivery: count=%d lastSeen=%v firstSeen=%v status=%v", got.Count, got.LastSeen, got.FirstSeen, got.Status)
	}
	// An older, late delivery neither lowers the count nor reverts the
	// status.
	mustPut(t, s, gdAlert(5, t0.Add(20*time.Minute)))
	got = mustGet(t, s, later.ID)
	if got.Count != 9 || got.Status != alert.StatusResolved || !got.LastSeen.Equal(t0.Add(40*time.Minute)) {
		t.Fatalf("after stale delivery: count=%d status=%v lastSeen=%v", got.Count, got.Status, got.LastSeen)
	}
}

// alertsCopiesAreOne: GuardDuty finding and Security Hub copy are one alert in either order.
func alertsCopiesAreOne(t *testing.T, newStore func(t *testing.T) Store) {
	type step func() *alert.Alert
	gd := func() *alert.Alert { return gdAlert(4, t0.Add(15*time.Minute)) }
	sh := func() *alert.Alert { return shAlert(4, t0.Add(15*time.Minute)) }
	var results []alert.Alert
	for _, order := range [][]step{{gd, sh}, {sh, gd}} {
		s := alertStore(t, newStore)
		first := mustPut(t, s, order[0]())
		second := mustPut(t, s, order[1]())
		if first.Outcome != normalize.Accepted || second.Outcome != normalize.Duplicate {
			t.Fatalf("outcomes = %v, %v; want accepted, duplicate", first.Outcome, second.Outcome)
		}
		results = append(results, mustGet(t, s, gd().ID))
	}
	a, b := results[0], results[1]
	if a.ID != b.ID || a.Count != b.Count || !a.FirstSeen.Equal(b.FirstSeen) || !a.LastSeen.Equal(b.LastSeen) {
		t.Fatalf("order changed the alert: %+v vs %+v", a, b)
	}
	if killchain.NewSet(a.Tactics...) != killchain.NewSet(b.Tactics...) {
		t.Fatalf("tactics differ: %v vs %v", a.Tactics, b.Tactics)
	}
	if !sameKeys(a.Keys(), b.Keys()) {
		t.Fatalf("correlation keys differ: %v vs %v", a.Keys(), b.Keys())
	}
}

// alertsCopyStatusHolds: a status set in Security Hub on the same sighting holds in either order.
func alertsCopyStatusHolds(t *testing.T, newStore func(t *testing.T) Store) {
	// The copy was suppressed in Security Hub (Workflow SUPPRESSED);
	// both carry the same lastSeen, as GuardDuty's copies do.
	last := t0.Add(15 * time.Minute)
	gd := func() *alert.Alert { return gdAlert(4, last) }
	sh := func() *alert.Alert {
		a := shAlert(4, last)
		a.Status = alert.StatusDismissed
		return a
	}
	for _, order := range [][]func() *alert.Alert{{gd, sh}, {sh, gd}} {
		s := alertStore(t, newStore)
		mustPut(t, s, order[0]())
		mustPut(t, s, order[1]())
		// Re-deliveries of either change nothing and are not written.
		for i, again := range []func() *alert.Alert{gd, sh, gd} {
			if r := mustPut(t, s, again()); r.Changed {
				t.Fatalf("re-delivery %d rewrote the alert: status %s", i+1, r.Alert.Status)
			}
		}
		if got := mustGet(t, s, gd().ID); got.Status != alert.StatusDismissed {
			t.Fatalf("status %s, want Dismissed", got.Status)
		}
	}
}

// alertsSuppressedStaysDismissed: suppressed alert stays dismissed on re-delivery.
func alertsSuppressedStaysDismissed(t *testing.T, newStore func(t *testing.T) Store) {
	s := alertStore(t, newStore)
	a := gdAlert(1, t0)
	a.Status, a.SuppressedBy = alert.StatusDismissed, "rule-1"
	mustPut(t, s, a)
	mustPut(t, s, gdAlert(2, t0.Add(time.Minute)))
	got := mustGet(t, s, a.ID)
	if got.Status != alert.StatusDismissed || got.SuppressedBy != "rule-1" || got.Count != 2 {
		t.Fatalf("got status=%v suppressedBy=%q count=%d", got.Status, got.SuppressedBy, got.Count)
	}
}

// alertsUnknownID: unknown id is not found.
func alertsUnknownID(t *testing.T, newStore func(t *testing.T) Store) {
	s := alertStore(t, newStore)
	_, err := s.GetAlert(context.Background(), "nope")
	if !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func sameKeys(a, b []alert.Key) bool {
	m := map[alert.Key]int{}
	for _, k := range a {
		m[k]++
	}
	for _, k := range b {
		m[k]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}
