package awsclient

import (
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a fake HTTP client that logs when each request starts and
// ends; a transaction's request can be held until released.
type recorder struct {
	mu      sync.Mutex
	log     []string
	hold    chan struct{} // when set, transactions wait on it
	started chan struct{}
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	target := req.Header.Get("X-Amz-Target")
	r.note("start " + target)
	if target == targetTransactWrite && r.hold != nil {
		r.started <- struct{}{}
		<-r.hold
	}
	for range 20 {
		runtime.Gosched()
	}
	r.note("end " + target)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func (r *recorder) note(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

func request(t *testing.T, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	return req
}

// No DynamoDB request starts while a transaction is in flight, and none is
// in flight when a transaction starts.
func TestTransactionsRunAlone(t *testing.T) {
	rec := &recorder{}
	c := &isolatedTransactions{next: rec}
	targets := []string{targetTransactWrite, "DynamoDB_20120810.PutItem", "DynamoDB_20120810.UpdateItem",
		"DynamoDBStreams_20120810.GetRecords", "DynamoDB_20120810.BatchGetItem"}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			if _, err := c.Do(request(t, targets[i%len(targets)])); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	inFlight, inTx := 0, false
	for i, e := range rec.log {
		tx := strings.HasSuffix(e, targetTransactWrite)
		switch {
		case strings.HasPrefix(e, "start ") && (inTx || tx && inFlight > 0):
			t.Fatalf("event %d %q overlaps another request (%d in flight, transaction %v)", i, e, inFlight, inTx)
		case strings.HasPrefix(e, "start "):
			inFlight++
			inTx = tx
		default:
			inFlight--
			inTx = false
		}
	}
	if want := 2 * 200; len(rec.log) != want {
		t.Errorf("%d events, want %d", len(rec.log), want)
	}
}

// Requests to other services (the sink's SQS long poll) do not wait for a
// transaction.
func TestOtherServicesDoNotWait(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{})}
	c := &isolatedTransactions{next: rec}
	done := make(chan error)
	go func() {
		_, err := c.Do(request(t, targetTransactWrite))
		done <- err
	}()
	<-rec.started
	for _, target := range []string{"AmazonSQS.ReceiveMessage", "AWSEvents.PutEvents", ""} {
		if _, err := c.Do(request(t, target)); err != nil {
			t.Errorf("%q: %v", target, err)
		}
	}
	close(rec.hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
