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

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/suppress"
)

// losesHitAnswers sends every request on, but loses the answer to the
// first attempt of each hit update: the update is applied and the SDK,
// seeing a broken connection, sends it again.
type losesHitAnswers struct {
	next aws.HTTPClient
	mu   sync.Mutex
	seen map[string]bool // invocation ids whose answer was lost
	lost int
}

func (c *losesHitAnswers) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.next.Do(req)
	if err != nil || !bytes.Contains(body, []byte("ADD hits")) {
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
	cfg := mototest.Get(t).Config()
	lossy := &losesHitAnswers{next: cfg.HTTPClient, seen: map[string]bool{}}
	cfg.HTTPClient = lossy
	db := dynamodb.NewFromConfig(cfg)
	name := mototest.UniqueName("muster")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	s := dynamostore.New(db, name, dynamostore.Options{})
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
