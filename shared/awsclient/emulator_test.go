package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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

// TestUnansweredRequestIsRetried: a request the emulator never answers is
// abandoned after emulatorAnswerTimeout and sent again.
func TestUnansweredRequestIsRetried(t *testing.T) {
	saved := emulatorAnswerTimeout
	emulatorAnswerTimeout = 200 * time.Millisecond
	t.Cleanup(func() { emulatorAnswerTimeout = saved })

	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			<-release // never answered while the client waits
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"TableNames":["answered"]}`))
	}))
	defer srv.Close()
	defer close(release)

	out, err := dynamodb.NewFromConfig(ForEmulator(srv.URL)).ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables after an unanswered attempt: %v", err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "answered" {
		t.Errorf("tables %v, want the second attempt's answer", out.TableNames)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d requests reached the emulator, want 2 (one unanswered, one retry)", calls)
	}
}
