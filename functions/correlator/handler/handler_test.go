package handler_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/scenario"
)

func handle(t testing.TB, h interface {
	Handle(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}, recs []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func liveIncidents(gs []*correlate.Group) []*correlate.Group {
	var out []*correlate.Group
	for _, g := range gs {
		if g.Live() && g.IsIncident {
			out = append(out, g)
		}
	}
	return out
}

// TestSampleScenario runs the sample scenario from events/samples: the
// campaign on web-prod-1 becomes one incident named after it with the
// stages in order; the attacker's second instance makes it "multiple
// resources"; noise creates no incident.
func TestSampleScenario(t *testing.T) {
	e := newEnv(t)
	h := e.handler(correlate.DefaultConfig(), nil)
	attack, second, noise := samples(t)

	e.put(concat(attack, noise)...)
	if resp := handle(t, h, e.records()); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %v", resp.BatchItemFailures)
	}
	incs := liveIncidents(e.groups())
	if len(incs) != 1 {
		t.Fatalf("incidents = %d, want 1: %v", len(incs), e.outcome(names(attack, second, noise)))
	}
	inc := incs[0].Incident
	if inc.Title != "Security incident detected on web-prod-1" {
		t.Errorf("title = %q", inc.Title)
	}
	want := []killchain.Stage{killchain.PreAttack, killchain.InitialAccess, killchain.CredentialAccess,
		killchain.Execution, killchain.CommandAndControl, killchain.Exfiltration}
	if !reflect.DeepEqual(inc.Tactics, want) {
		t.Errorf("tactics = %v, want %v", inc.Tactics, want)
	}
	if inc.Severity != alert.Critical {
		t.Errorf("severity = %s, want Critical (High raised at 3+ stages)", inc.Severity)
	}
	if !strings.HasPrefix(inc.Description, "Attack on web-prod-1 progressed from Pre-attack through ") {
		t.Errorf("description = %q", inc.Description)
	}
	for _, a := range attack {
		if got := e.alertDoc(a.ID).IncidentID; got != inc.ID {
			t.Errorf("alert %s incidentId = %q, want %q", a.SourceID, got, inc.ID)
		}
	}
	for _, a := range noise {
		if got := e.alertDoc(a.ID).IncidentID; got != "" {
			t.Errorf("noise alert %s assigned to %s", a.SourceID, got)
		}
	}

	e.put(second...)
	if resp := handle(t, h, e.records()); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %v", resp.BatchItemFailures)
	}
	incs = liveIncidents(e.groups())
	if len(incs) != 1 || incs[0].ID() != inc.ID {
		t.Fatalf("incidents after the second instance: %v", e.outcome(names(attack, second, noise)))
	}
	if got := incs[0].Incident.Title; got != "Security incident detected on multiple resources" || !incs[0].Incident.MultiResource {
		t.Errorf("title = %q", got)
	}
	m, _ := incs[0].Member(second[0].ID)
	if m.Key != "ip:203.0.113.66" || !strings.Contains(m.Reason, "through shared public IP 203.0.113.66") {
		t.Errorf("second instance joined because %+v", m.Membership)
	}
}

// TestReplayChangesNothing replays every record the stream ever carried
// (inserts, Security Hub re-deliveries, the correlator's own assignment
// writes): the table stays byte-for-byte the same.
func TestReplayChangesNothing(t *testing.T) {
	e := newEnv(t)
	h := e.handler(correlate.DefaultConfig(), nil)
	attack, second, noise := samples(t)
	e.put(concat(attack, second, noise)...)
	var all []events.DynamoDBEventRecord
	for i := 0; i < 3; i++ { // inserts, then the assignment MODIFYs, then none
		recs := e.records()
		all = append(all, recs...)
		handle(t, h, recs)
	}
	before := e.items()
	for i := 0; i < 2; i++ {
		if resp := handle(t, h, all); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("replay failures: %v", resp.BatchItemFailures)
		}
		if after := e.items(); !reflect.DeepEqual(before, after) {
			for k := range after {
				if before[k] != after[k] {
					t.Errorf("replay changed %s:\n before %s\n after  %s", k, before[k], after[k])
				}
			}
			t.FailNow()
		}
	}
}

// failing fails every commit that touches one of its alerts.
type failing struct {
	correlate.Store
	alerts map[string]bool
}

func (f *failing) Commit(ctx context.Context, u *correlate.Unit) error {
	for _, id := range u.Alerts {
		if f.alerts[id] {
			return errors.New("injected commit failure")
		}
	}
	return f.Store.Commit(ctx, u)
}

// TestBatchItemFailuresNameExactlyTheFailedRecords: a unit that cannot be
// committed reports the records of its alerts, and only those; an
// undecodable record and non-alert records are skipped, not retried.
func TestBatchItemFailuresNameExactlyTheFailedRecords(t *testing.T) {
	e := newEnv(t)
	attack, _, noise := samples(t)
	// The campaign fails to commit; the noise alerts do not.
	bad := map[string]bool{}
	for _, a := range attack {
		bad[a.ID] = true
	}
	h := e.handler(correlate.DefaultConfig(), &failing{Store: e.store, alerts: bad})
	e.put(concat(attack, noise)...)
	recs := e.records()

	var wantFailed []string
	for _, r := range recs {
		a, _, _ := dynamoAlert(r)
		if bad[a] {
			wantFailed = append(wantFailed, r.Change.SequenceNumber)
		}
	}
	// An undecodable alert record and an incident record ride along.
	garbled := recs[0]
	garbled.Change.SequenceNumber = "999999999999999999990"
	garbled.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"pk":  events.NewStringAttribute("ALERT#garbled"),
		"doc": events.NewStringAttribute("{not json"),
	}
	other := recs[0]
	other.Change.SequenceNumber = "999999999999999999991"
	other.Change.Keys = map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("INCIDENT#x"), "sk": events.NewStringAttribute("INCIDENT")}
	recs = append(recs, garbled, other)

	resp := handle(t, h, recs)
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	sort.Strings(got)
	sort.Strings(wantFailed)
	if len(wantFailed) == 0 || !reflect.DeepEqual(got, wantFailed) {
		t.Fatalf("failures = %v, want %v", got, wantFailed)
	}
	// The noise was committed; retrying the failed records with a healthy
	// store completes the campaign.
	groups := e.groups()
	if len(groups) != len(noise) {
		t.Fatalf("groups after partial failure = %d, want the %d noise groups", len(groups), len(noise))
	}
	var retry []events.DynamoDBEventRecord
	for _, r := range recs {
		for _, s := range got {
			if r.Change.SequenceNumber == s {
				retry = append(retry, r)
			}
		}
	}
	if resp := handle(t, e.handler(correlate.DefaultConfig(), nil), retry); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry failures: %v", resp.BatchItemFailures)
	}
	if n := len(liveIncidents(e.groups())); n != 1 {
		t.Fatalf("incidents after retry = %d, want 1", n)
	}
}

func dynamoAlert(r events.DynamoDBEventRecord) (string, bool, error) {
	pk := r.Change.Keys["pk"].String()
	return strings.TrimPrefix(pk, "ALERT#"), strings.HasPrefix(pk, "ALERT#"), nil
}

// lambdaLoop delivers batches to a handler the way the event source
// mapping does: a batch's failed records are delivered again until none
// fails.
func lambdaLoop(t testing.TB, h interface {
	Handle(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}, batches [][]events.DynamoDBEventRecord) {
	for _, b := range batches {
		for attempt := 0; len(b) > 0; attempt++ {
			if attempt > 20 {
				t.Errorf("batch still failing after %d attempts", attempt)
				return
			}
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: b})
			if err != nil {
				t.Error(err)
				return
			}
			next := stillFailing(b, resp)
			b = next
		}
	}
}

// stillFailing is the records of b that resp names as failed, in order.
func stillFailing(b []events.DynamoDBEventRecord, resp events.DynamoDBEventResponse) []events.DynamoDBEventRecord {
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var next []events.DynamoDBEventRecord
	for _, r := range b {
		if failed[r.Change.SequenceNumber] {
			next = append(next, r)
		}
	}
	return next
}

func chunk(recs []events.DynamoDBEventRecord, n int) [][]events.DynamoDBEventRecord {
	var out [][]events.DynamoDBEventRecord
	for len(recs) > 0 {
		k := min(n, len(recs))
		out = append(out, recs[:k])
		recs = recs[k:]
	}
	return out
}

// TestConcurrentWorkersMatchOneWorker: two workers on interleaved batches
// of the same stream end in the same incidents as one worker.
//
// moto's TransactWriteItems is not isolated from concurrent requests: it
// snapshots the whole table, applies the items one by one and, when a
// condition fails, restores the snapshot — erasing whatever another request
// committed in between. DynamoDB's transactions are serializable, so the
// second environment serialises its DynamoDB calls (serialCalls): the two
// workers still interleave their reads, decisions and conditional writes
// call by call, and conflicts still happen and are retried.
func TestConcurrentWorkersMatchOneWorker(t *testing.T) {
	sc := scenario.Generate(scenario.Config{Seed: 7, Noise: scenario.NoiseLegacy, Campaigns: 4, MultiResource: 0.5, Repeats: -1,
		MinAlerts: 5, MaxAlerts: 8, NoiseAlerts: 20, NoiseResources: 8, Scanners: -1})
	nm := map[string]string{}
	for _, a := range sc.Alerts {
		nm[a.ID] = a.SourceID
	}

	one := newEnv(t)
	one.put(sc.Alerts...)
	recs := one.records()
	lambdaLoop(t, one.handler(correlate.DefaultConfig(), nil), chunk(recs, 8))
	want := one.outcome(nm)

	two := newEnv(t, serialCalls())
	two.put(sc.Alerts...)
	batches := chunk(two.records(), 8)
	var odd, even [][]events.DynamoDBEventRecord
	for i, b := range batches {
		if i%2 == 0 {
			even = append(even, b)
		} else {
			odd = append(odd, b)
		}
	}
	var wg sync.WaitGroup
	for _, part := range [][][]events.DynamoDBEventRecord{even, odd} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lambdaLoop(t, two.handler(correlate.DefaultConfig(), nil), part)
		}()
	}
	wg.Wait()
	if got := two.outcome(nm); !reflect.DeepEqual(got, want) {
		t.Fatalf("two workers differ from one:\nonly with two:\n%s\nonly with one:\n%s",
			strings.Join(minus(got, want), "\n"), strings.Join(minus(want, got), "\n"))
	}
	if len(liveIncidents(two.groups())) == 0 {
		t.Fatal("the scenario produced no incident")
	}
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// personEdits makes an analyst's change to the incident right before the
// correlator's first commit, as if the two raced.
type personEdits struct {
	correlate.Store
	once     sync.Once
	edit     func()
	attempts int
}

func (p *personEdits) Commit(ctx context.Context, u *correlate.Unit) error {
	p.once.Do(p.edit)
	p.attempts++
	return p.Store.Commit(ctx, u)
}

// TestPersonsChangesSurviveARace: an analyst sets owner, status and
// severity between the correlator's read and its write; the correlator's
// write conflicts, it reloads, and both changes end up in the incident.
func TestPersonsChangesSurviveARace(t *testing.T) {
	e := newEnv(t)
	attack, _, _ := samples(t)
	e.put(attack[:3]...)
	handle(t, e.handler(correlate.DefaultConfig(), nil), e.records())
	incs := liveIncidents(e.groups())
	if len(incs) != 1 {
		t.Fatalf("incidents = %d", len(incs))
	}
	id := incs[0].ID()
	p := &personEdits{Store: e.store, edit: func() {
		_, err := e.store.PatchIncident(context.Background(), id, incs[0].Version, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
			inc.Owner, inc.Status = "alice", incident.StatusInProgress
			inc.Severity, inc.SeveritySetBy = alert.Low, "alice"
			return []incident.TimelineEntry{{Actor: "alice", Action: "assigned"}}, nil
		})
		if err != nil {
			t.Errorf("patch: %v", err)
		}
	}}
	e.put(attack[3:]...)
	if resp := handle(t, e.handler(correlate.DefaultConfig(), p), e.records()); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %v", resp.BatchItemFailures)
	}
	if p.attempts < 2 {
		t.Fatalf("commits = %d, want a conflict and a retry", p.attempts)
	}
	g := liveIncidents(e.groups())[0]
	inc := g.Incident
	if inc.Owner != "alice" || inc.Status != incident.StatusInProgress || inc.Severity != alert.Low || inc.SeveritySetBy != "alice" {
		t.Errorf("person's changes lost: owner=%q status=%s severity=%s", inc.Owner, inc.Status, inc.Severity)
	}
	if want := len(names(attack)); len(g.Members) != want {
		t.Errorf("members = %d, want %d (Security Hub copies are the GuardDuty alerts)", len(g.Members), want)
	}
}

// serialCalls makes a client's calls one at a time, as isolated as
// DynamoDB's own transactions are (see TestConcurrentWorkersMatchOneWorker).
func serialCalls() func(*dynamodb.Options) {
	var mu sync.Mutex
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("serialize-calls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					mu.Lock()
					defer mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}
