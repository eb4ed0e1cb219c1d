package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// fakeClient answers PutEvents from a script: fail(call, detail) returns the
// error code for an entry on a given call ("" accepts it).
type fakeClient struct {
	mu       sync.Mutex
	calls    int
	sizes    []int
	bytes    []int
	accepted map[string]int // detail → times accepted
	fail     func(call int, detail string) string
	callErr  func(call int) error
	// reject fails a whole call from the details it carries.
	reject func(details []string) error
}

func (f *fakeClient) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.sizes = append(f.sizes, len(in.Entries))
	n := 0
	for _, e := range in.Entries {
		n += len(*e.Detail) + len(*e.Source) + len(*e.DetailType) + timeBytes
	}
	f.bytes = append(f.bytes, n)
	if len(in.Entries) > MaxBatchEntries {
		return nil, fmt.Errorf("%d entries", len(in.Entries))
	}
	if f.callErr != nil {
		if err := f.callErr(f.calls); err != nil {
			return nil, err
		}
	}
	if f.reject != nil {
		var details []string
		for _, e := range in.Entries {
			details = append(details, *e.Detail)
		}
		if err := f.reject(details); err != nil {
			return nil, err
		}
	}
	out := &eventbridge.PutEventsOutput{}
	for i, e := range in.Entries {
		code := ""
		if f.fail != nil {
			code = f.fail(f.calls, *e.Detail)
		}
		if code == "" {
			f.accepted[*e.Detail]++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("ev-%d-%d", f.calls, i))})
			continue
		}
		out.FailedEntryCount++
		out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String(code + " for this entry")})
	}
	return out, nil
}

func entries(n int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{Source: "muster", DetailType: "Incident Created", Detail: []byte(fmt.Sprintf(`{"n":%d}`, i)), Time: time.Unix(1_700_000_000, 0)}
	}
	return out
}

type sleeps struct{ got []time.Duration }

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.got = append(s.got, d)
	return nil
}

func testOptions(s *sleeps) Options {
	return Options{Sleep: s.sleep, Jitter: func(d time.Duration) time.Duration { return d }}
}

func TestBatchesOfTen(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}}
	p := New(f, "muster", testOptions(&sleeps{}))
	if fs := p.Publish(context.Background(), entries(25)); fs != nil {
		t.Fatalf("failures: %v", fs)
	}
	if !reflect.DeepEqual(f.sizes, []int{10, 10, 5}) {
		t.Errorf("batch sizes %v, want [10 10 5]", f.sizes)
	}
	if len(f.accepted) != 25 {
		t.Errorf("%d distinct entries accepted, want 25", len(f.accepted))
	}
}

func TestBatchesRespectRequestSize(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}}
	p := New(f, "muster", testOptions(&sleeps{}))
	big := make([]Entry, 7)
	for i := range big {
		big[i] = Entry{Source: "muster", DetailType: "Incident Updated",
			Detail: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 100<<10)))}
	}
	if fs := p.Publish(context.Background(), big); fs != nil {
		t.Fatalf("failures: %v", fs)
	}
	for i, n := range f.bytes {
		if n > MaxRequestBytes {
			t.Errorf("call %d carried %d bytes, over %d", i, n, MaxRequestBytes)
		}
	}
	if !reflect.DeepEqual(f.sizes, []int{2, 2, 2, 1}) {
		t.Errorf("batch sizes %v, want [2 2 2 1]", f.sizes)
	}
}

func TestEntryTooLargeIsPermanent(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}}
	p := New(f, "muster", testOptions(&sleeps{}))
	in := entries(3)
	in[1].Detail = []byte(`{"pad":"` + strings.Repeat("x", MaxRequestBytes) + `"}`)
	fs := p.Publish(context.Background(), in)
	if len(fs) != 1 || fs[0].Index != 1 || fs[0].Code != CodeTooLarge || fs[0].Retryable {
		t.Fatalf("failures %+v, want entry 1 EntryTooLarge permanent", fs)
	}
	if len(f.accepted) != 2 {
		t.Errorf("%d accepted, want 2", len(f.accepted))
	}
}

func TestPerEntryFailures(t *testing.T) {
	// Entry 2 is throttled twice, entry 7 fails internally once, entry 5 is
	// malformed (permanent), entry 11 is always throttled.
	f := &fakeClient{accepted: map[string]int{}, fail: func(call int, detail string) string {
		switch {
		case detail == `{"n":2}` && call <= 4:
			return CodeThrottling
		case detail == `{"n":7}` && call <= 2:
			return CodeInternalFailure
		case detail == `{"n":5}`:
			return "MalformedDetail"
		case detail == `{"n":11}`:
			return CodeThrottling
		}
		return ""
	}}
	s := &sleeps{}
	p := New(f, "muster", Options{MaxAttempts: 4, Sleep: s.sleep, Jitter: func(d time.Duration) time.Duration { return d }})
	fs := p.Publish(context.Background(), entries(12))
	want := []Failure{
		{Index: 5, Code: "MalformedDetail", Message: "MalformedDetail for this entry", Retryable: false},
		{Index: 11, Code: CodeThrottling, Message: CodeThrottling + " for this entry", Retryable: true},
	}
	if !reflect.DeepEqual(fs, want) {
		t.Fatalf("failures\n%+v\nwant\n%+v", fs, want)
	}
	for i := range 12 {
		d := fmt.Sprintf(`{"n":%d}`, i)
		wantN := 1
		if i == 5 || i == 11 {
			wantN = 0
		}
		if f.accepted[d] != wantN {
			t.Errorf("entry %d accepted %d times, want %d", i, f.accepted[d], wantN)
		}
	}
	// Calls: 10+2 first, then only the retryable entries: {2,7,11} (call 3),
	// {2,11} (call 4, entry 2 still throttled), {2,11} (call 5, entry 2
	// accepted); then the budget of four attempts is spent.
	if !reflect.DeepEqual(f.sizes, []int{10, 2, 3, 2, 2}) {
		t.Errorf("calls %v", f.sizes)
	}
	if !reflect.DeepEqual(s.got, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}) {
		t.Errorf("backoff %v", s.got)
	}
}

func TestBackoffIsCapped(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}, fail: func(int, string) string { return CodeThrottling }}
	s := &sleeps{}
	p := New(f, "muster", Options{MaxAttempts: 8, BaseDelay: time.Second, MaxDelay: 5 * time.Second, Sleep: s.sleep,
		Jitter: func(d time.Duration) time.Duration { return d }})
	fs := p.Publish(context.Background(), entries(1))
	if len(fs) != 1 || !fs[0].Retryable {
		t.Fatalf("failures %+v", fs)
	}
	want := []time.Duration{1, 2, 4, 5, 5, 5, 5}
	for i := range want {
		want[i] *= time.Second
	}
	if !reflect.DeepEqual(s.got, want) || f.calls != 8 {
		t.Errorf("sleeps %v after %d calls, want %v after 8", s.got, f.calls, want)
	}
}

func TestDefaultJitterStaysInRange(t *testing.T) {
	p := New(&fakeClient{}, "muster", Options{})
	for range 100 {
		if d := p.backoff(3); d < 200*time.Millisecond || d > 400*time.Millisecond {
			t.Fatalf("backoff(3) = %v, want within [200ms, 400ms]", d)
		}
	}
}

func TestCallErrorIsRetried(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}, callErr: func(call int) error {
		if call == 1 {
			return errors.New("connection reset")
		}
		return nil
	}}
	p := New(f, "muster", testOptions(&sleeps{}))
	if fs := p.Publish(context.Background(), entries(3)); fs != nil {
		t.Fatalf("failures: %v", fs)
	}
	if len(f.accepted) != 3 || f.calls != 2 {
		t.Errorf("accepted %d after %d calls", len(f.accepted), f.calls)
	}
}

func TestCallErrorExhausted(t *testing.T) {
	f := &fakeClient{accepted: map[string]int{}, callErr: func(int) error { return errors.New("no route to host") }}
	p := New(f, "muster", Options{MaxAttempts: 2, Sleep: (&sleeps{}).sleep})
	fs := p.Publish(context.Background(), entries(2))
	if len(fs) != 2 || fs[0].Code != CodeRequestFailed || !fs[0].Retryable || fs[1].Index != 1 {
		t.Fatalf("failures %+v", fs)
	}
}

// apiError is a failed PutEvents call as the SDK returns it after its own
// retries: an operation error around an HTTP response error around the
// service's error code.
func apiError(code string, status int, fault smithy.ErrorFault) error {
	return &smithy.OperationError{ServiceID: "EventBridge", OperationName: "PutEvents",
		Err: &awshttp.ResponseError{RequestID: "req-1", ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: code + " from the service", Fault: fault},
		}}}
}

func TestCallRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		// The request itself is bad: permanent.
		{"validation", apiError("ValidationException", 400, smithy.FaultClient), false},
		{"validation error (query protocol name)", apiError("ValidationError", 400, smithy.FaultClient), false},
		{"invalid parameter value", apiError("InvalidParameterValue", 400, smithy.FaultClient), false},
		{"invalid parameter combination", apiError("InvalidParameterCombination", 400, smithy.FaultClient), false},
		{"missing parameter", apiError("MissingParameter", 400, smithy.FaultClient), false},
		{"serialization (service)", apiError("SerializationException", 400, smithy.FaultClient), false},
		{"request too large", apiError("RequestEntityTooLarge", 413, smithy.FaultUnknown), false},
		{"validation after SDK retries", &retry.MaxAttemptsError{Attempt: 1, Err: apiError("ValidationException", 400, smithy.FaultClient)}, false},
		// The deployment is wrong (configuration outage): retryable.
		{"access denied", apiError("AccessDeniedException", 400, smithy.FaultClient), true},
		{"missing bus", apiError("ResourceNotFoundException", 400, smithy.FaultClient), true},
		{"unknown client", apiError("UnrecognizedClientException", 400, smithy.FaultUnknown), true},
		{"not authorized (403)", apiError("NotAuthorized", 403, smithy.FaultUnknown), true},
		{"invalid client token", apiError("InvalidClientTokenId", 403, smithy.FaultClient), true},
		{"expired token", apiError("ExpiredTokenException", 400, smithy.FaultClient), true},
		{"denied after SDK retries", &retry.MaxAttemptsError{Attempt: 1, Err: apiError("AccessDeniedException", 400, smithy.FaultClient)}, true},
		// The service is busy or broken: retryable.
		{"throttling", apiError("ThrottlingException", 400, smithy.FaultClient), true},
		{"throttling after SDK retries", &retry.MaxAttemptsError{Attempt: 3, Err: apiError("ThrottlingException", 400, smithy.FaultClient)}, true},
		{"internal (server fault)", apiError("InternalException", 500, smithy.FaultServer), true},
		{"unknown code, 503", apiError("Whatever", 503, smithy.FaultUnknown), true},
		{"unknown code, 429", apiError("Whatever", 429, smithy.FaultUnknown), true},
		{"unknown code, 400", apiError("Whatever", 400, smithy.FaultUnknown), true},
		{"service unavailable", apiError("ServiceUnavailable", 400, smithy.FaultUnknown), true},
		// No answer from the service: retryable.
		{"dial refused", &smithy.OperationError{ServiceID: "EventBridge", OperationName: "PutEvents",
			Err: &url.Error{Op: "Post", URL: "https://events.eu-west-1.amazonaws.com/",
				Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}}, true},
		{"timeout", &smithy.OperationError{ServiceID: "EventBridge", OperationName: "PutEvents",
			Err: &url.Error{Op: "Post", URL: "https://events.eu-west-1.amazonaws.com/", Err: context.DeadlineExceeded}}, true},
		{"plain network error", errors.New("connection reset by peer"), true},
		{"invalid parameters", &smithy.OperationError{ServiceID: "EventBridge", OperationName: "PutEvents",
			Err: smithy.InvalidParamsError{Context: "PutEventsInput"}}, false},
		{"serialisation", &smithy.OperationError{Err: &smithy.SerializationError{Err: errors.New("bad")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := callRetryable(tt.err); got != tt.want {
				t.Errorf("callRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestPermanentCallErrorIsNotRetried(t *testing.T) {
	// Every call is refused as invalid: every entry comes back permanent
	// at once (no backoff, no second attempt), after the rejected batches
	// were re-sent entry by entry.
	f := &fakeClient{accepted: map[string]int{}, callErr: func(int) error {
		return apiError("ValidationException", 400, smithy.FaultClient)
	}}
	s := &sleeps{}
	p := New(f, "muster", testOptions(s))
	fs := p.Publish(context.Background(), entries(12))
	if len(fs) != 12 {
		t.Fatalf("%d failures, want 12: %+v", len(fs), fs)
	}
	for i, f := range fs {
		if f.Index != i || f.Code != CodeRequestRejected || f.Retryable ||
			f.Message != "ValidationException: ValidationException from the service" {
			t.Errorf("failure %d: %+v", i, f)
		}
	}
	if len(s.got) != 0 {
		t.Errorf("backed off %v before giving up on a permanent error", s.got)
	}
	if want := []int{10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1}; !reflect.DeepEqual(f.sizes, want) {
		t.Errorf("calls %v, want %v", f.sizes, want)
	}
}

func TestConfigurationErrorIsRetried(t *testing.T) {
	// A configuration outage (the bus is missing, the role may not
	// publish): the entries are not at fault, so they are retried with
	// backoff in whole batches (never split entry by entry) and come back
	// retryable when the budget runs out, never rejected.
	for _, code := range []string{"ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException"} {
		t.Run(code, func(t *testing.T) {
			f := &fakeClient{accepted: map[string]int{}, callErr: func(int) error {
				return apiError(code, 400, smithy.FaultClient)
			}}
			s := &sleeps{}
			p := New(f, "muster", Options{MaxAttempts: 3, Sleep: s.sleep, Jitter: func(d time.Duration) time.Duration { return d }})
			fs := p.Publish(context.Background(), entries(12))
			if len(fs) != 12 {
				t.Fatalf("%d failures, want 12: %+v", len(fs), fs)
			}
			for i, f := range fs {
				if f.Index != i || f.Code != CodeRequestFailed || !f.Retryable ||
					f.Message != code+": "+code+" from the service" {
					t.Errorf("failure %d: %+v", i, f)
				}
			}
			if want := []int{10, 2, 10, 2, 10, 2}; !reflect.DeepEqual(f.sizes, want) {
				t.Errorf("calls %v, want %v", f.sizes, want)
			}
			if len(s.got) != 2 {
				t.Errorf("backoffs %v, want 2", s.got)
			}
		})
	}
}

func TestConfigurationFixedMidwayPublishesEverything(t *testing.T) {
	// IAM still propagating after a deploy: the first call is denied, the
	// next one goes through. Nothing is lost or rejected.
	f := &fakeClient{accepted: map[string]int{}, callErr: func(call int) error {
		if call == 1 {
			return apiError("AccessDeniedException", 400, smithy.FaultClient)
		}
		return nil
	}}
	p := New(f, "muster", testOptions(&sleeps{}))
	if fs := p.Publish(context.Background(), entries(4)); fs != nil {
		t.Fatalf("failures %+v", fs)
	}
	for i := range 4 {
		if n := f.accepted[fmt.Sprintf(`{"n":%d}`, i)]; n != 1 {
			t.Errorf("entry %d accepted %d times, want 1", i, n)
		}
	}
}

func TestPermanentCallErrorIsolatesTheBadEntry(t *testing.T) {
	// The service refuses any call carrying entry 3: only entry 3 is
	// permanent, its neighbours in the batch are published once.
	f := &fakeClient{accepted: map[string]int{}, reject: func(details []string) error {
		if slices.Contains(details, `{"n":3}`) {
			return apiError("ValidationException", 400, smithy.FaultClient)
		}
		return nil
	}}
	p := New(f, "muster", testOptions(&sleeps{}))
	fs := p.Publish(context.Background(), entries(5))
	if len(fs) != 1 || fs[0].Index != 3 || fs[0].Code != CodeRequestRejected || fs[0].Retryable {
		t.Fatalf("failures %+v, want entry 3 rejected permanently", fs)
	}
	for i := range 5 {
		if n, want := f.accepted[fmt.Sprintf(`{"n":%d}`, i)], 1; i != 3 && n != want {
			t.Errorf("entry %d accepted %d times, want %d", i, n, want)
		}
	}
}

func TestThrottledCallIsRetried(t *testing.T) {
	// A throttled call is transient: retried with backoff, and reported
	// retryable when the budget runs out.
	f := &fakeClient{accepted: map[string]int{}, callErr: func(int) error {
		return apiError("ThrottlingException", 400, smithy.FaultClient)
	}}
	s := &sleeps{}
	p := New(f, "muster", Options{MaxAttempts: 3, Sleep: s.sleep, Jitter: func(d time.Duration) time.Duration { return d }})
	fs := p.Publish(context.Background(), entries(2))
	if len(fs) != 2 || fs[0].Code != CodeRequestFailed || !fs[0].Retryable || !fs[1].Retryable ||
		fs[0].Message != "ThrottlingException: ThrottlingException from the service" {
		t.Fatalf("failures %+v", fs)
	}
	if f.calls != 3 || len(s.got) != 2 {
		t.Errorf("%d calls and %d backoffs, want 3 and 2", f.calls, len(s.got))
	}
}

func TestCanceledWhileBackingOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeClient{accepted: map[string]int{}, fail: func(_ int, d string) string {
		if d == `{"n":1}` {
			return CodeThrottling
		}
		return ""
	}}
	p := New(f, "muster", Options{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }})
	fs := p.Publish(ctx, entries(3))
	if len(fs) != 1 || fs[0].Index != 1 || fs[0].Code != CodeCanceled || !fs[0].Retryable {
		t.Fatalf("failures %+v", fs)
	}
}

func TestRetryable(t *testing.T) {
	for code, want := range map[string]bool{
		CodeInternalFailure: true, CodeThrottling: true, CodeRequestFailed: true, CodeCanceled: true,
		"MalformedDetail": false, "InvalidArgument": false, CodeTooLarge: false, CodeRequestRejected: false,
		// Refusals of the deployment, per entry, are retried like refused calls.
		"AccessDeniedException": true, "NotAuthorizedForSourceException": true, "NotAuthorizedForDetailTypeException": true,
	} {
		if Retryable(code) != want {
			t.Errorf("Retryable(%s) = %v", code, !want)
		}
	}
}

func TestPublishOnMoto(t *testing.T) {
	srv := mototest.Get(t)
	ctx := context.Background()
	cfg := srv.Config()
	bus := mototest.UniqueName("bus")
	all, err := CreateBus(ctx, cfg, bus, resources.Rule{Name: mototest.UniqueName("all"), Pattern: `{"source":["muster"]}`}, mototest.UniqueName("all"))
	if err != nil {
		t.Fatal(err)
	}
	created, err := CreateBus(ctx, cfg, bus, resources.Rule{Name: mototest.UniqueName("created"),
		Pattern: `{"source":["muster"],"detail-type":["Incident Created"]}`}, mototest.UniqueName("created"))
	if err != nil {
		t.Fatal(err)
	}
	if all.BusARN == "" || all.BusARN != created.BusARN || all.QueueURL == created.QueueURL {
		t.Fatalf("routes %+v %+v", all, created)
	}
	in := entries(13)
	in[4].DetailType = "Incident Updated"
	in[9].Detail = []byte(`not json`)
	p := New(eventbridge.NewFromConfig(cfg), bus, testOptions(&sleeps{}))
	fs := p.Publish(ctx, in)
	if len(fs) != 1 || fs[0].Index != 9 || fs[0].Retryable {
		t.Fatalf("failures %+v, want entry 9 permanent", fs)
	}
	q := sqs.NewFromConfig(cfg)
	got, err := Drain(ctx, q, all.QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Errorf("all-events queue got %d, want 12", len(got))
	}
	seen := map[string]bool{}
	for _, m := range got {
		var env struct {
			Source string          `json:"source"`
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(m, &env); err != nil || env.Source != "muster" {
			t.Fatalf("message %s: %v", m, err)
		}
		seen[string(env.Detail)] = true
	}
	if len(seen) != 12 {
		t.Errorf("%d distinct events, want 12", len(seen))
	}
	onlyCreated, err := Drain(ctx, q, created.QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(onlyCreated) != 11 {
		t.Errorf("created queue got %d, want 11", len(onlyCreated))
	}
	// CreateBus is idempotent.
	again, err := CreateBus(ctx, cfg, bus, resources.Rule{Name: mototest.UniqueName("all2"), Pattern: `{"source":["muster"]}`}, mototest.UniqueName("all2"))
	if err != nil || again.BusARN != all.BusARN {
		t.Fatalf("second CreateBus: %+v %v", again, err)
	}
}

func TestMissingBusOnMotoIsRetryable(t *testing.T) {
	// moto answers PutEvents to a bus that does not exist with
	// ResourceNotFoundException, as EventBridge does. A missing bus is the
	// deployment's fault, not the entries': they are retried with backoff
	// and come back retryable, with the service's code in the message.
	cfg := mototest.Get(t).Config()
	s := &sleeps{}
	p := New(eventbridge.NewFromConfig(cfg), mototest.UniqueName("missing"), Options{MaxAttempts: 2, Sleep: s.sleep})
	fs := p.Publish(context.Background(), entries(3))
	if len(fs) != 3 {
		t.Fatalf("failures %+v, want 3", fs)
	}
	for _, f := range fs {
		if f.Code != CodeRequestFailed || !f.Retryable || !strings.HasPrefix(f.Message, "ResourceNotFoundException: ") {
			t.Errorf("failure %+v, want a retryable ResourceNotFoundException", f)
		}
	}
	if len(s.got) != 1 {
		t.Errorf("backoffs %v, want 1 (2 attempts)", s.got)
	}
}

// BenchmarkPublish measures the Publisher's own cost per entry (batching,
// request building, result checks) for 1,000 events of about 2.5 KB, the
// size of the golden incident events, with a client that accepts all.
func BenchmarkPublish(b *testing.B) {
	in := make([]Entry, 1000)
	for i := range in {
		in[i] = Entry{Source: "muster", DetailType: "Incident Updated", Time: time.Unix(1_700_000_000, 0),
			Detail: []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 2500)))}
	}
	p := New(&nopClient{}, "muster", Options{})
	b.ReportAllocs()
	for b.Loop() {
		if fs := p.Publish(context.Background(), in); fs != nil {
			b.Fatal(fs)
		}
	}
	b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "entries/s")
}

type nopClient struct{}

func (nopClient) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{Entries: make([]types.PutEventsResultEntry, len(in.Entries))}
	for i := range out.Entries {
		out.Entries[i].EventId = aws.String("id")
	}
	return out, nil
}
