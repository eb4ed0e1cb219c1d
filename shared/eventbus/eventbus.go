// Package eventbus publishes events to an Amazon EventBridge bus.
//
// Publisher sends entries with PutEvents in batches of at most
// MaxBatchEntries entries and MaxRequestBytes bytes, checks every entry's
// result, and retries only the entries that failed with a retryable code
// (InternalFailure, ThrottlingException) with exponential backoff, a
// bounded number of times. It never reports an entry as published unless
// EventBridge accepted it; everything else comes back as a Failure naming
// the entry, so a stream handler can retry or dead-letter exactly those
// records.
//
// A failure of a whole PutEvents call is classified by whose fault it is.
// It is permanent (CodeRequestRejected) only when the request itself is
// wrong, so the same request would be refused whatever the deployment: a
// validation or serialisation error from the service (ValidationException,
// InvalidParameterValue, SerializationException, HTTP 413, …) or a request
// the SDK refused to build. Everything else is retryable
// (CodeRequestFailed, retried like a throttled entry): throttling, server
// faults, timeouts and network errors, and also access denied, an unknown
// or expired credential and a missing bus (ResourceNotFoundException).
// Those belong to the deployment, not to the entries — a wrong bus name, a
// policy change, IAM still propagating after a deploy — and the same
// entries are published once it is fixed; dead-lettering them would leave
// every change of a configuration outage unpublished. A batch of several
// entries rejected permanently is re-sent one entry per call, so one bad
// entry cannot take its neighbours to the dead-letter path.
//
// CreateBus sets up a bus with a rule routing to an SQS queue, for the local
// bootstrap and tests.
package eventbus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// EventBridge limits.
const (
	MaxBatchEntries = 10
	MaxRequestBytes = 256 * 1024
	// timeBytes is what an entry's Time counts towards the request size.
	timeBytes = 14
)

// Entry codes. InternalFailure and ThrottlingException come from
// EventBridge; the others are set by the Publisher.
const (
	CodeInternalFailure = "InternalFailure"
	CodeThrottling      = "ThrottlingException"
	// CodeTooLarge: the entry alone exceeds MaxRequestBytes (permanent).
	CodeTooLarge = "EntryTooLarge"
	// CodeRequestFailed: the PutEvents call itself failed after the SDK's
	// own retries for a reason outside the request (throttling, a server
	// fault, a timeout, a network error, access denied, a missing bus;
	// retryable: a later attempt may succeed once the service or the
	// deployment is healthy). The message starts with the API error code
	// when the service answered.
	CodeRequestFailed = "RequestFailed"
	// CodeRequestRejected: the PutEvents call itself was refused because
	// the request is invalid (validation or serialisation; permanent). The
	// message starts with the API error code.
	CodeRequestRejected = "RequestRejected"
	// CodeCanceled: the context ended before the entry was published.
	CodeCanceled = "Canceled"
)

// Retryable reports whether an entry that failed with code may succeed if
// sent again. Besides transient failures, an entry refused for a reason of
// the deployment (the caller may not put to the bus, or not with this
// source or detail type) is retried, as a refused call is: the fix is in
// the configuration, not in the record.
func Retryable(code string) bool {
	switch code {
	case CodeInternalFailure, CodeThrottling, CodeRequestFailed, CodeCanceled,
		"AccessDeniedException", "NotAuthorizedForSourceException", "NotAuthorizedForDetailTypeException":
		return true
	}
	return false
}

// Client is the part of the EventBridge client the Publisher uses.
type Client interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ Client = (*eventbridge.Client)(nil)

// Entry is one event to publish.
type Entry struct {
	Source     string
	DetailType string
	Detail     []byte // JSON object
	Time       time.Time
	Resources  []string
}

func (e Entry) size() int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if !e.Time.IsZero() {
		n += timeBytes
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Failure is an entry that was not published.
type Failure struct {
	// Index is the entry's position in the slice given to Publish.
	Index int
	// Code is EventBridge's error code or one of the Code constants.
	Code    string
	Message string
	// Retryable is true when the entry may be published by a later attempt
	// (the retry budget ran out); false when it never will be.
	Retryable bool
}

func (f Failure) Error() string {
	return fmt.Sprintf("entry %d: %s: %s", f.Index, f.Code, f.Message)
}

// Options tune a Publisher. The zero value is usable.
type Options struct {
	// MaxAttempts bounds the PutEvents attempts per entry (default 5).
	MaxAttempts int
	// BaseDelay is the backoff before the first retry (default 100ms); it
	// doubles with each retry up to MaxDelay (default 3s).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// Sleep waits between attempts; it returns early with ctx's error when
	// ctx ends. Tests inject one that records and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter spreads a backoff; the default picks uniformly in [d/2, d].
	Jitter func(d time.Duration) time.Duration
}

// Publisher publishes entries to one bus.
type Publisher struct {
	client Client
	bus    string
	opts   Options
}

// New returns a Publisher for bus (a name or ARN).
func New(client Client, bus string, opts Options) *Publisher {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = 100 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 3 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	}
	return &Publisher{client: client, bus: bus, opts: opts}
}

// Bus returns the bus the Publisher sends to.
func (p *Publisher) Bus() string { return p.bus }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Publish sends entries and returns the ones not published, ordered by
// Index; nil means every entry was accepted. Entries are sent in order, in
// batches; retryable failures are re-sent together after a backoff until
// they succeed or MaxAttempts is reached.
func (p *Publisher) Publish(ctx context.Context, entries []Entry) []Failure {
	var failures []Failure
	pending := make([]int, 0, len(entries))
	for i, e := range entries {
		if e.size() > MaxRequestBytes {
			failures = append(failures, Failure{Index: i, Code: CodeTooLarge,
				Message: fmt.Sprintf("entry is %d bytes, over the %d-byte PutEvents limit", e.size(), MaxRequestBytes)})
			continue
		}
		pending = append(pending, i)
	}
	last := map[int]Failure{}
	for attempt := 0; attempt < p.opts.MaxAttempts && len(pending) > 0; attempt++ {
		if attempt > 0 {
			if err := p.opts.Sleep(ctx, p.backoff(attempt)); err != nil {
				break
			}
		}
		var retry []int
		for _, batch := range p.batches(entries, pending) {
			if err := ctx.Err(); err != nil {
				retry = append(retry, batch...)
				continue
			}
			for _, f := range p.send(ctx, entries, batch) {
				if f.Retryable {
					last[f.Index] = f
					retry = append(retry, f.Index)
				} else {
					failures = append(failures, f)
				}
			}
		}
		pending = retry
	}
	for _, i := range pending {
		f, ok := last[i]
		if !ok || ctx.Err() != nil {
			f = Failure{Index: i, Code: CodeCanceled, Message: "not published before the context ended"}
		}
		f.Retryable = true
		failures = append(failures, f)
	}
	sortFailures(failures)
	return failures
}

func (p *Publisher) backoff(attempt int) time.Duration {
	d := p.opts.BaseDelay << (attempt - 1)
	if d <= 0 || d > p.opts.MaxDelay {
		d = p.opts.MaxDelay
	}
	return p.opts.Jitter(d)
}

// batches splits the pending entries, in order, into PutEvents calls.
func (p *Publisher) batches(entries []Entry, pending []int) [][]int {
	var out [][]int
	var cur []int
	size := 0
	for _, i := range pending {
		s := entries[i].size()
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+s > MaxRequestBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += s
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// send makes one PutEvents call and returns the failed entries.
func (p *Publisher) send(ctx context.Context, entries []Entry, batch []int) []Failure {
	in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(batch))}
	for k, i := range batch {
		e := entries[i]
		re := types.PutEventsRequestEntry{
			EventBusName: aws.String(p.bus),
			Source:       aws.String(e.Source),
			DetailType:   aws.String(e.DetailType),
			Detail:       aws.String(string(e.Detail)),
			Resources:    e.Resources,
		}
		if !e.Time.IsZero() {
			re.Time = aws.Time(e.Time)
		}
		in.Entries[k] = re
	}
	out, err := p.client.PutEvents(ctx, in)
	if err == nil && len(out.Entries) != len(batch) {
		err = fmt.Errorf("PutEvents returned %d results for %d entries", len(out.Entries), len(batch))
	}
	if err != nil {
		retryable := ctx.Err() != nil || callRetryable(err)
		code := CodeRequestFailed
		switch {
		case ctx.Err() != nil:
			code = CodeCanceled
		case !retryable:
			code = CodeRequestRejected
			if len(batch) > 1 {
				// Find out which entries the service refuses on their own.
				var fs []Failure
				for _, i := range batch {
					fs = append(fs, p.send(ctx, entries, []int{i})...)
				}
				return fs
			}
		}
		var ae smithy.APIError
		msg := err.Error()
		if errors.As(err, &ae) {
			msg = ae.ErrorCode() + ": " + ae.ErrorMessage()
		}
		fs := make([]Failure, len(batch))
		for k, i := range batch {
			fs[k] = Failure{Index: i, Code: code, Message: msg, Retryable: retryable}
		}
		return fs
	}
	var fs []Failure
	for k, r := range out.Entries {
		code := aws.ToString(r.ErrorCode)
		if code == "" && aws.ToString(r.EventId) != "" {
			continue
		}
		if code == "" {
			code = CodeInternalFailure // no id and no code: treat as a transient failure
		}
		fs = append(fs, Failure{Index: batch[k], Code: code, Message: aws.ToString(r.ErrorMessage), Retryable: Retryable(code)})
	}
	return fs
}

// requestErrorCodes are the API error codes of a failed PutEvents call
// that say the request itself is wrong: sent again unchanged, it is
// refused again, whatever the state of the service or the deployment.
var requestErrorCodes = map[string]bool{
	"ValidationException":         true,
	"ValidationError":             true,
	"InvalidParameterValue":       true,
	"InvalidParameterCombination": true,
	"MissingParameter":            true,
	"SerializationException":      true,
}

// callRetryable reports whether a failed PutEvents call may succeed if made
// again. It is false only when the request itself is bad: the service
// answered with one of requestErrorCodes or HTTP 413 (the body is too
// large), or the SDK refused to build the request (invalid parameters,
// serialisation). Every other failure is retryable. Throttling, server
// faults, timeouts and network errors pass by themselves; access denied,
// an unrecognised or expired credential and a missing bus
// (ResourceNotFoundException) are the deployment's state, not the
// entries' — a wrong bus name, a policy change, IAM still propagating — and
// the same entries are published once it is put right, while
// dead-lettering them would leave every change of the outage unpublished.
// An unknown code counts as retryable for the same reason: there is no
// evidence the request is at fault, and the stream consumer's retries and
// alarms make a persistent one visible.
func callRetryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && requestErrorCodes[ae.ErrorCode()] {
		return false
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) && st.HTTPStatusCode() == http.StatusRequestEntityTooLarge {
		return false
	}
	var invalid smithy.InvalidParamsError // the SDK's validators return it by value
	var invalidPtr *smithy.InvalidParamsError
	var ser *smithy.SerializationError
	if errors.As(err, &invalid) || errors.As(err, &invalidPtr) || errors.As(err, &ser) {
		return false
	}
	return true
}

func sortFailures(fs []Failure) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Index < fs[j-1].Index; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
