package dynamostore

import (
	"context"
	"regexp"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Call is one DynamoDB API call seen by a Counter.
type Call struct {
	Operation string // "Query", "GetItem", "Scan"…
	Index     string // Query/Scan: the index name, "" for the table
	// Partition is a Query's partition-key value (from its key condition).
	Partition string
	Limit     int32 // Query/Scan Limit, 0 when unset
	// Read is the number of items the call read: ScannedCount for Query and
	// Scan, returned items for GetItem and BatchGetItem.
	Read int
	// Written is the number of items a write call put, updated or deleted.
	Written int
	Failed  bool
}

// Counter records the DynamoDB calls of a client built with
// CountingOptions. It is safe for concurrent use.
type Counter struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns a copy of the recorded calls.
func (c *Counter) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.calls...)
}

// Reset forgets the recorded calls.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
}

// Ops counts calls per operation name.
func (c *Counter) Ops() map[string]int {
	out := map[string]int{}
	for _, k := range c.Calls() {
		out[k.Operation]++
	}
	return out
}

// ItemsRead is the total number of items read.
func (c *Counter) ItemsRead() int {
	n := 0
	for _, k := range c.Calls() {
		n += k.Read
	}
	return n
}

// ItemsWritten is the total number of items written.
func (c *Counter) ItemsWritten() int {
	n := 0
	for _, k := range c.Calls() {
		n += k.Written
	}
	return n
}

// ReadPerPartition sums items read by Query calls per "index|partition".
func (c *Counter) ReadPerPartition() map[string]int {
	out := map[string]int{}
	for _, k := range c.Calls() {
		if k.Operation == "Query" {
			out[k.Index+"|"+k.Partition] += k.Read
		}
	}
	return out
}

// CountingOptions returns a dynamodb client option that records every API
// call (one per call, not per retry attempt) in c:
//
//	db := dynamodb.NewFromConfig(cfg, dynamostore.CountingOptions(&counter))
func CountingOptions(c *Counter) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("MusterCounting",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleInitialize(ctx, in)
					call := describe(in.Parameters, out.Result)
					if call.Operation == "" {
						call.Operation = awsmiddleware.GetOperationName(ctx)
					}
					call.Failed = err != nil
					c.mu.Lock()
					c.calls = append(c.calls, call)
					c.mu.Unlock()
					return out, md, err
				}), middleware.After)
		})
	}
}

var partitionCond = regexp.MustCompile(`^\(?\s*([#\w]+)\s*=\s*(:\w+)`)

func partitionOf(expr *string, vals map[string]types.AttributeValue) string {
	if expr == nil {
		return ""
	}
	m := partitionCond.FindStringSubmatch(*expr)
	if m == nil {
		return ""
	}
	if v, ok := vals[m[2]].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func limitOf(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func describe(params, result any) Call {
	switch in := params.(type) {
	case *dynamodb.QueryInput:
		c := Call{Operation: "Query", Index: deref(in.IndexName), Limit: limitOf(in.Limit),
			Partition: partitionOf(in.KeyConditionExpression, in.ExpressionAttributeValues)}
		if out, ok := result.(*dynamodb.QueryOutput); ok && out != nil {
			c.Read = int(out.ScannedCount)
		}
		return c
	case *dynamodb.ScanInput:
		c := Call{Operation: "Scan", Index: deref(in.IndexName), Limit: limitOf(in.Limit)}
		if out, ok := result.(*dynamodb.ScanOutput); ok && out != nil {
			c.Read = int(out.ScannedCount)
		}
		return c
	case *dynamodb.GetItemInput:
		c := Call{Operation: "GetItem"}
		if out, ok := result.(*dynamodb.GetItemOutput); ok && out != nil && out.Item != nil {
			c.Read = 1
		}
		return c
	case *dynamodb.BatchGetItemInput:
		c := Call{Operation: "BatchGetItem"}
		if out, ok := result.(*dynamodb.BatchGetItemOutput); ok && out != nil {
			for _, items := range out.Responses {
				c.Read += len(items)
			}
		}
		return c
	case *dynamodb.PutItemInput:
		return Call{Operation: "PutItem", Written: 1}
	case *dynamodb.UpdateItemInput:
		return Call{Operation: "UpdateItem", Written: 1}
	case *dynamodb.DeleteItemInput:
		return Call{Operation: "DeleteItem", Written: 1}
	case *dynamodb.BatchWriteItemInput:
		c := Call{Operation: "BatchWriteItem"}
		for _, reqs := range in.RequestItems {
			c.Written += len(reqs)
		}
		return c
	case *dynamodb.TransactWriteItemsInput:
		return Call{Operation: "TransactWriteItems", Written: len(in.TransactItems)}
	}
	return Call{}
}
