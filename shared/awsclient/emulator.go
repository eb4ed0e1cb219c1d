package awsclient

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// ForEmulator is the AWS configuration for a local emulator (moto) at
// endpoint: ForEndpoint's, plus what makes moto behave as DynamoDB does
// under load, for the local runner's handlers and pollers and for the
// tests alike:
//
//   - A TransactWriteItems runs alone among this process's DynamoDB
//     requests to the same endpoint (isolatedTransactions, one per
//     endpoint). moto as it ships takes a deep copy of the table for each
//     item of a transaction, to roll back to; a write that adds an item
//     meanwhile makes the copy fail with an HTML 500 ("dictionary changed
//     size during iteration"), and a rollback puts the copy back, losing
//     writes made since. The moto the runner and the tests start is
//     patched (package localstack/moto) and serialises its writes itself;
//     this keeps a moto started elsewhere (AWS_ENDPOINT_URL) as safe.
//   - Server errors are retried without the SDK's client-side retry
//     quota, which exists to stop retry storms against AWS and protects
//     nothing against a local emulator.
//   - A request whose answer has not begun within emulatorAnswerTimeout
//     is abandoned and retried. Once in a long while a request sent to
//     moto's development web server is never answered; without a bound
//     the caller waits forever.
//
// The handlers make the same calls as on AWS; only their order on the
// wire changes.
func ForEmulator(endpoint string) aws.Config {
	cfg := ForEndpoint(endpoint)
	next := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.ResponseHeaderTimeout = emulatorAnswerTimeout
	})
	iso, _ := emulators.LoadOrStore(endpoint, &isolatedTransactions{next: next})
	cfg.HTTPClient = iso.(*isolatedTransactions)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = time.Second
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

// emulatorAnswerTimeout bounds the wait for an answer from the emulator.
// moto's slowest legitimate answers (a transaction on a table of tens of
// thousands of items, in a moto as it ships, which copies the table item
// by item) take seconds.
var emulatorAnswerTimeout = 2 * time.Minute

// emulators holds one isolatedTransactions per endpoint, so that every
// client of one emulator in this process shares it.
var emulators sync.Map

// isolatedTransactions sends DynamoDB TransactWriteItems requests one at
// a time with no other DynamoDB or DynamoDB Streams request in flight;
// other requests run concurrently with each other.
type isolatedTransactions struct {
	mu   sync.RWMutex
	next aws.HTTPClient
}

// targetTransactWrite is the X-Amz-Target of TransactWriteItems.
const targetTransactWrite = "DynamoDB_20120810.TransactWriteItems"

func (c *isolatedTransactions) Do(req *http.Request) (*http.Response, error) {
	target := req.Header.Get("X-Amz-Target")
	switch {
	case target == targetTransactWrite:
		c.mu.Lock()
		defer c.mu.Unlock()
	case strings.HasPrefix(target, "DynamoDB"):
		c.mu.RLock()
		defer c.mu.RUnlock()
	}
	// moto has done the work once its answer's headers arrive.
	return c.next.Do(req)
}
