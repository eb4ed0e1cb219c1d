// Package awsmeter records the AWS calls of SDK clients through one SDK
// middleware: the operation, the DynamoDB items each call read and wrote,
// the capacity DynamoDB reports, the item sizes DynamoDB bills by, and the
// EventBridge entries published with their sizes.
//
// The benchmarks cost a run with it (calls, items and capacity per alert),
// and tests check with it how a store reads (no Scan, bounded reads per
// index partition):
//
//	m := &awsmeter.Meter{}
//	db := dynamodb.NewFromConfig(m.Config(cfg, "query"))
//	… // use db
//	scans := m.Operations()["Scan"]
//
// A Meter is safe for concurrent use; it records one Call per API call, not
// per retry attempt.
package awsmeter

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Call is one AWS API call seen by a Meter.
type Call struct {
	Component string // the label given to Config
	Service   string // "DynamoDB", "EventBridge", …
	Operation string // "Query", "PutItem", "PutEvents", …
	// Index, Limit and Partition describe a DynamoDB Query or Scan: the
	// index ("" for the table), the Limit (0 when unset) and a Query's
	// partition-key value, read from its key condition.
	Index     string
	Limit     int32
	Partition string
	// Read counts the DynamoDB items a call read: ScannedCount for Query
	// and Scan, the items returned by GetItem, BatchGetItem and
	// TransactGetItems, and the condition checks of TransactWriteItems.
	Read int
	// Written counts the DynamoDB items a call put, updated or deleted;
	// Keys names them ("<pk>|<sk>").
	Written int
	Keys    []string
	// RCU and WCU are the ConsumedCapacity DynamoDB returned (a Meter asks
	// for it on every call that supports it).
	RCU, WCU float64
	// WriteSizes holds, per entry of Keys, the size (ItemSize) of the item
	// a put carries; 0 for an update or a delete, whose request does not
	// carry the item. Checked names the items a transaction's
	// ConditionChecks read.
	WriteSizes []int
	Checked    []string
	// ReadSizes holds the size of each item a GetItem, BatchGetItem or
	// TransactGetItems returned, or for a Query or Scan one figure: the
	// summed size of the items it returned (items a filter dropped are not
	// seen). Missing counts the keys a get asked for that were not found;
	// Consistent says the read was strongly consistent.
	ReadSizes  []int
	Missing    int
	Consistent bool
	// DetailTypes are the detail types of a PutEvents call's entries, one
	// per entry; EntryBytes their sizes as EventBridge meters them.
	DetailTypes []string
	EntryBytes  []int
	Failed      bool
	// Start is when the call began; Seconds how long it took, retries
	// included.
	Start   time.Time
	Seconds float64
}

// Meter records the calls of every client built from a configuration its
// Config returned. The zero value is ready to use.
type Meter struct {
	mu    sync.Mutex
	calls []Call
}

// Config returns a copy of base whose clients record their calls in m
// under component. DynamoDB calls are sent with ReturnConsumedCapacity
// TOTAL.
func (m *Meter) Config(base aws.Config, component string) aws.Config {
	cfg := base.Copy()
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), base.APIOptions...),
		func(st *middleware.Stack) error {
			return st.Initialize.Add(m.middleware(component), middleware.After)
		})
	return cfg
}

// middleware runs once per API call, before the retry loop.
func (m *Meter) middleware(component string) middleware.InitializeMiddleware {
	return middleware.InitializeMiddlewareFunc("MusterMeter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			askCapacity(in.Parameters)
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			var result any
			if err == nil { // a failed call has no output to read
				result = out.Result
			}
			call := describe(in.Parameters, result)
			call.Start, call.Seconds = start, time.Since(start).Seconds()
			call.Component = component
			call.Service = awsmiddleware.GetServiceID(ctx)
			call.Operation = awsmiddleware.GetOperationName(ctx)
			call.Failed = err != nil
			m.mu.Lock()
			m.calls = append(m.calls, call)
			m.mu.Unlock()
			return out, md, err
		})
}

// Calls returns a copy of the recorded calls.
func (m *Meter) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// Len is the number of recorded calls.
func (m *Meter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// Since returns the calls recorded after the first n.
func (m *Meter) Since(n int) []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls[n:]...)
}

// Reset forgets the recorded calls.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = nil
}

// Operations counts the recorded calls per operation name.
func (m *Meter) Operations() map[string]int {
	out := map[string]int{}
	for _, c := range m.Calls() {
		out[c.Operation]++
	}
	return out
}

// ItemsRead is the total number of DynamoDB items read.
func (m *Meter) ItemsRead() int {
	n := 0
	for _, c := range m.Calls() {
		n += c.Read
	}
	return n
}

// ReadPerPartition sums the items read by Query calls per
// "<index>|<partition>".
func (m *Meter) ReadPerPartition() map[string]int {
	out := map[string]int{}
	for _, c := range m.Calls() {
		if c.Operation == "Query" {
			out[c.Index+"|"+c.Partition] += c.Read
		}
	}
	return out
}
