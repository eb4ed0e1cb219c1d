package bench

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go/middleware"
)

// Op is one AWS API call seen by a Meter.
type Op struct {
	Component string // the handler whose client made the call
	Service   string // "DynamoDB", "EventBridge", …
	Operation string
	// Read and Written count DynamoDB items; Entries counts PutEvents
	// entries.
	Read, Written, Entries int
	// Created counts PutEvents entries of detail type "Incident Created".
	Created int
	// Written items by key: pk values of items a write call put, updated or
	// deleted (for the per-batch floor).
	Keys []string
	// RCU and WCU are the ConsumedCapacity the service returned (moto's
	// figures; see the report's notes).
	RCU, WCU float64
	Failed   bool
	Seconds  float64
}

// Meter records the AWS calls of every client built from a configuration
// it returned. It asks DynamoDB for ReturnConsumedCapacity TOTAL on every
// call that supports it. Safe for concurrent use.
type Meter struct {
	mu  sync.Mutex
	ops []Op
}

// Config returns a copy of base whose clients report their calls to m
// under component.
func (m *Meter) Config(base aws.Config, component string) aws.Config {
	cfg := base.Copy()
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), base.APIOptions...),
		func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchMeter",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					askCapacity(in.Parameters)
					t := time.Now()
					out, md, err := next.HandleInitialize(ctx, in)
					el := time.Since(t)
					op := describeOp(in.Parameters, out.Result)
					op.Component = component
					op.Service = awsmiddleware.GetServiceID(ctx)
					op.Operation = awsmiddleware.GetOperationName(ctx)
					op.Failed = err != nil
					op.Seconds = el.Seconds()
					m.mu.Lock()
					m.ops = append(m.ops, op)
					m.mu.Unlock()
					return out, md, err
				}), middleware.After)
		})
	return cfg
}

// Ops returns a copy of the recorded calls.
func (m *Meter) Ops() []Op {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Op(nil), m.ops...)
}

// Len is the number of recorded calls.
func (m *Meter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ops)
}

// Since returns the calls recorded after the first n.
func (m *Meter) Since(n int) []Op {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Op(nil), m.ops[n:]...)
}

const total = ddbtypes.ReturnConsumedCapacityTotal

func askCapacity(params any) {
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = total
	}
}

func pkOf(item map[string]ddbtypes.AttributeValue) string {
	if v, ok := item["pk"].(*ddbtypes.AttributeValueMemberS); ok {
		sk := ""
		if s, ok := item["sk"].(*ddbtypes.AttributeValueMemberS); ok {
			sk = s.Value
		}
		return v.Value + "|" + sk
	}
	return ""
}

func addCap(op *Op, cs ...ddbtypes.ConsumedCapacity) {
	for _, c := range cs {
		r, w := aws.ToFloat64(c.ReadCapacityUnits), aws.ToFloat64(c.WriteCapacityUnits)
		if r == 0 && w == 0 && c.CapacityUnits != nil {
			// Only a total: attribute it by the kind of call.
			if op.Written > 0 {
				w = *c.CapacityUnits
			} else {
				r = *c.CapacityUnits
			}
		}
		op.RCU += r
		op.WCU += w
	}
}

func capOf(c *ddbtypes.ConsumedCapacity) []ddbtypes.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []ddbtypes.ConsumedCapacity{*c}
}

func describeOp(params, result any) Op {
	var op Op
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		op.Written, op.Keys = 1, []string{pkOf(in.Item)}
		if out, ok := result.(*dynamodb.PutItemOutput); ok && out != nil {
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *dynamodb.UpdateItemInput:
		op.Written, op.Keys = 1, []string{pkOf(in.Key)}
		if out, ok := result.(*dynamodb.UpdateItemOutput); ok && out != nil {
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *dynamodb.DeleteItemInput:
		op.Written, op.Keys = 1, []string{pkOf(in.Key)}
		if out, ok := result.(*dynamodb.DeleteItemOutput); ok && out != nil {
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				op.Written++
				switch {
				case r.PutRequest != nil:
					op.Keys = append(op.Keys, pkOf(r.PutRequest.Item))
				case r.DeleteRequest != nil:
					op.Keys = append(op.Keys, pkOf(r.DeleteRequest.Key))
				}
			}
		}
		if out, ok := result.(*dynamodb.BatchWriteItemOutput); ok && out != nil {
			addCap(&op, out.ConsumedCapacity...)
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, t := range in.TransactItems {
			switch {
			case t.Put != nil:
				op.Written++
				op.Keys = append(op.Keys, pkOf(t.Put.Item))
			case t.Update != nil:
				op.Written++
				op.Keys = append(op.Keys, pkOf(t.Update.Key))
			case t.Delete != nil:
				op.Written++
				op.Keys = append(op.Keys, pkOf(t.Delete.Key))
			case t.ConditionCheck != nil:
				op.Read++
			}
		}
		if out, ok := result.(*dynamodb.TransactWriteItemsOutput); ok && out != nil {
			addCap(&op, out.ConsumedCapacity...)
		}
	case *dynamodb.GetItemInput:
		if out, ok := result.(*dynamodb.GetItemOutput); ok && out != nil {
			if out.Item != nil {
				op.Read = 1
			}
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *dynamodb.BatchGetItemInput:
		if out, ok := result.(*dynamodb.BatchGetItemOutput); ok && out != nil {
			for _, items := range out.Responses {
				op.Read += len(items)
			}
			addCap(&op, out.ConsumedCapacity...)
		}
	case *dynamodb.TransactGetItemsInput:
		if out, ok := result.(*dynamodb.TransactGetItemsOutput); ok && out != nil {
			op.Read = len(out.Responses)
			addCap(&op, out.ConsumedCapacity...)
		}
	case *dynamodb.QueryInput:
		if out, ok := result.(*dynamodb.QueryOutput); ok && out != nil {
			op.Read = int(out.ScannedCount)
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *dynamodb.ScanInput:
		if out, ok := result.(*dynamodb.ScanOutput); ok && out != nil {
			op.Read = int(out.ScannedCount)
			addCap(&op, capOf(out.ConsumedCapacity)...)
		}
	case *eventbridge.PutEventsInput:
		op.Entries = len(in.Entries)
		for _, e := range in.Entries {
			if aws.ToString(e.DetailType) == "Incident Created" {
				op.Created++
			}
		}
	}
	return op
}

// OpCount is a number of calls of one operation.
type OpCount struct {
	Component string  `json:"component"`
	Service   string  `json:"service"`
	Operation string  `json:"operation"`
	Calls     int     `json:"calls"`
	Items     int     `json:"items"`
	Seconds   float64 `json:"seconds"`
}

// countOps tallies calls by component, service and operation.
func countOps(ops []Op) []OpCount {
	idx := map[[3]string]*OpCount{}
	for _, o := range ops {
		k := [3]string{o.Component, o.Service, o.Operation}
		c := idx[k]
		if c == nil {
			c = &OpCount{Component: o.Component, Service: o.Service, Operation: o.Operation}
			idx[k] = c
		}
		c.Calls++
		c.Seconds += o.Seconds
		c.Items += o.Read + o.Written + o.Entries
	}
	out := make([]OpCount, 0, len(idx))
	for _, c := range idx {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Component != b.Component {
			return a.Component < b.Component
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Operation < b.Operation
	})
	return out
}
