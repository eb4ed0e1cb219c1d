package handler_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/scenario"
)

// opCounter counts DynamoDB work by kind: items requested by reads, items
// written (puts and updates) and condition checks inside transactions.
type opCounter struct {
	mu                        sync.Mutex
	calls, reads, writes, chk int
}

func (c *opCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.reads, c.writes, c.chk = 0, 0, 0, 0
}

func (c *opCounter) option() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCorrelatorWork",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					c.mu.Lock()
					c.calls++
					switch p := in.Parameters.(type) {
					case *dynamodb.BatchGetItemInput:
						for _, ka := range p.RequestItems {
							c.reads += len(ka.Keys)
						}
					case *dynamodb.GetItemInput, *dynamodb.QueryInput:
						c.reads++
					case *dynamodb.PutItemInput, *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
						c.writes++
					case *dynamodb.TransactWriteItemsInput:
						for _, it := range p.TransactItems {
							if it.ConditionCheck != nil {
								c.chk++
							} else {
								c.writes++
							}
						}
					}
					c.mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
}

// BenchmarkDynamoPerAlert measures the DynamoDB work of correlating a
// 20-alert campaign on moto, delivered in one stream batch and in batches
// of five: items read (keys requested), items written (key-days, the
// incident, alert assignments) and transaction condition checks, per alert.
func BenchmarkDynamoPerAlert(b *testing.B) {
	sc := scenario.Generate(scenario.Config{Seed: 3, Noise: scenario.NoiseLegacy, Campaigns: 1, MinAlerts: 20, MaxAlerts: 20, MultiResource: -1,
		Repeats: -1, NoiseAlerts: -1, Scanners: -1})
	ids := map[string]bool{}
	var alerts []*alert.Alert
	for _, a := range sc.Alerts {
		if !ids[a.ID] {
			ids[a.ID] = true
			alerts = append(alerts, a)
		}
	}
	for _, bc := range []struct {
		name  string
		batch int
	}{{"batch=20", 20}, {"batch=5", 5}} {
		b.Run(bc.name, func(b *testing.B) {
			var c opCounter
			var calls, reads, writes, checks, n float64
			for i := 0; i < b.N; i++ {
				e := newEnv(b, c.option())
				e.put(alerts...)
				recs := e.records()
				h := e.handler(correlate.DefaultConfig(), nil)
				c.reset()
				for _, part := range chunk(recs, bc.batch) {
					if resp := handle(b, h, part); len(resp.BatchItemFailures) != 0 {
						b.Fatalf("failures: %v", resp.BatchItemFailures)
					}
				}
				// The correlator's own assignment writes come back as
				// MODIFY records; they are skipped without any read.
				handle(b, h, e.records())
				c.mu.Lock()
				calls, reads, writes, checks = calls+float64(c.calls), reads+float64(c.reads), writes+float64(c.writes), checks+float64(c.chk)
				c.mu.Unlock()
				n += float64(len(alerts))
				if len(liveIncidents(e.groups())) != 1 {
					b.Fatalf("campaign did not make one incident")
				}
			}
			b.ReportMetric(calls/n, "calls/alert")
			b.ReportMetric(reads/n, "reads/alert")
			b.ReportMetric(writes/n, "writes/alert")
			b.ReportMetric(checks/n, "checks/alert")
			b.ReportMetric(float64(len(alerts)), "alerts")
		})
	}
}
