package dynamostore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/suppress"
)

// losesAnswers sends every request on, but loses the answer to the first
// attempt of each request whose body holds match: the request is applied
// and the SDK, seeing a broken connection, sends it again.
type losesAnswers struct {
	match []byte
	next  aws.HTTPClient
	mu    sync.Mutex
	seen  map[string]bool // invocation ids whose answer was lost
	lost  int
}

func (c *losesAnswers) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.next.Do(req)
	if err != nil || !bytes.Contains(body, c.match) {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := req.Header.Get("Amz-Sdk-Invocation-Id")
	if c.seen[id] {
		return resp, nil
	}
	c.seen[id] = true
	c.lost++
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, errors.New("connection reset after the request was applied")
}

// TestHitsCountOnceWhenAnAnswerIsLost: a hit update applied but whose
// answer never arrived is sent again by the SDK; the count must not take
// it twice.
func TestHitsCountOnceWhenAnAnswerIsLost(t *testing.T) {
	s, lossy := lossyStore(t, "ADD hits")
	ctx := context.Background()
	r, err := s.CreateRule(ctx, suppress.Rule{Reason: "probe", State: suppress.Shadow, Match: suppress.Match{Provider: "guardduty"}})
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now().UTC().Truncate(time.Second)
	if err := s.RecordHits(ctx, map[string]int{r.ID: 2}, t1); err != nil {
		t.Fatal(err)
	}
	// Earlier than the last hit: the count moves, lastHitAt does not.
	if err := s.RecordHits(ctx, map[string]int{r.ID: 3}, t1.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRule(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if lossy.lost == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	if got.Hits != 5 || got.LastHitAt == nil || !got.LastHitAt.Equal(t1) {
		t.Errorf("after %d lost answers: hits %d, last %v; want 5 at %s", lossy.lost, got.Hits, got.LastHitAt, t1)
	}
}

// TestCountersCountOnceWhenAnAnswerIsLost: ingest's update of a day's
// counters (no event marker) sent again after its answer was lost must not
// count twice.
func TestCountersCountOnceWhenAnAnswerIsLost(t *testing.T) {
	s, lossy := lossyStore(t, "ADD #c0")
	ctx := context.Background()
	for _, d := range []metrics.Delta{{metrics.Alerts: 2}, {metrics.Alerts: 3}} {
		if err := s.AddMetrics(ctx, "2026-12-06", "", d); err != nil {
			t.Fatal(err)
		}
	}
	days, err := s.MetricDays(ctx, "2026-12-06", "2026-12-06")
	if err != nil {
		t.Fatal(err)
	}
	if lossy.lost == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	if len(days) != 1 || days[0].Counts[metrics.Alerts] != 5 {
		t.Errorf("after %d lost answers: %+v, want %s 5", lossy.lost, days, metrics.Alerts)
	}
}

// TestAlertPutOnceWhenAnAnswerIsLost: an alert's put applied but whose
// answer never arrived is sent again by the SDK; the alert is still new to
// its caller (counted, hits recorded) and its re-delivery still changes it
// once, while a second delivery is still a duplicate.
func TestAlertPutOnceWhenAnAnswerIsLost(t *testing.T) {
	s, lossy := lossyStore(t, `"pt":`)
	ctx := context.Background()
	a := sampleAlert()
	put, err := s.PutAlert(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if put.Outcome != normalize.Accepted || !put.Changed {
		t.Errorf("first put after a lost answer: %v (changed %v), want accepted", put.Outcome, put.Changed)
	}
	again := sampleAlert()
	again.Count, again.LastSeen = 4, again.FirstSeen.Add(time.Hour)
	if put, err = s.PutAlert(ctx, again); err != nil {
		t.Fatal(err)
	}
	if put.Outcome != normalize.Duplicate || !put.Changed {
		t.Errorf("a re-delivery with news after a lost answer: %v (changed %v), want a changed duplicate", put.Outcome, put.Changed)
	}
	if lossy.lost < 2 {
		t.Fatalf("%d answers lost, want one per put at least: the test proves less than it says", lossy.lost)
	}
	if put, err = s.PutAlert(ctx, again); err != nil || put.Outcome != normalize.Duplicate || put.Changed {
		t.Errorf("the same delivery again: %v (changed %v, %v), want an unchanged duplicate", put.Outcome, put.Changed, err)
	}
	stored, err := s.GetAlert(ctx, a.ID)
	if err != nil || stored.Count != 4 || !stored.LastSeen.Equal(again.LastSeen) {
		t.Errorf("stored count %d, last seen %s (%v); want 4 and %s", stored.Count, stored.LastSeen, err, again.LastSeen)
	}
}

// TestRuleCreatedOnceWhenAnAnswerIsLost: a new rule's put applied but
// whose answer never arrived is sent again by the SDK; the caller gets the
// rule, not a conflict.
func TestRuleCreatedOnceWhenAnAnswerIsLost(t *testing.T) {
	s, lossy := lossyStore(t, "attribute_not_exists(pk)")
	ctx := context.Background()
	r, err := s.CreateRule(ctx, suppress.Rule{Reason: "probe", State: suppress.Enabled, Match: suppress.Match{Provider: "guardduty"}})
	if err != nil {
		t.Fatalf("create a rule after a lost answer: %v", err)
	}
	if lossy.lost == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	rules, err := s.ListRules(ctx)
	if err != nil || len(rules) != 1 || rules[0].ID != r.ID {
		t.Errorf("rules %+v (%v), want the one created", rules, err)
	}
}

// TestAlertStatusSetOnceWhenAnAnswerIsLost: an alert's status update
// applied but whose answer never arrived is sent again by the SDK; it is
// still counted as a change.
func TestAlertStatusSetOnceWhenAnAnswerIsLost(t *testing.T) {
	s, lossy := lossyStore(t, "#v = :v")
	ctx := context.Background()
	a := sampleAlert()
	if _, err := s.PutAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	n, err := s.SetAlertStatus(ctx, []string{a.ID}, alert.StatusResolved)
	if err != nil {
		t.Fatal(err)
	}
	if lossy.lost == 0 {
		t.Fatal("no answer was lost: the test proves nothing")
	}
	got, err := s.GetAlert(ctx, a.ID)
	if n != 1 || err != nil || got.Status != alert.StatusResolved {
		t.Errorf("%d changed, stored status %s (%v); want 1 and Resolved", n, got.Status, err)
	}
}

// lossyStore is a store on a new table whose client loses the first answer
// to every request holding match.
func lossyStore(t *testing.T, match string) (*dynamostore.Store, *losesAnswers) {
	t.Helper()
	cfg := mototest.Get(t).Config()
	lossy := &losesAnswers{match: []byte(match), next: cfg.HTTPClient, seen: map[string]bool{}}
	cfg.HTTPClient = lossy
	db := dynamodb.NewFromConfig(cfg)
	name := mototest.UniqueName("muster")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	return dynamostore.New(db, name, dynamostore.Options{}), lossy
}
