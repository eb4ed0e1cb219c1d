package handler

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// BenchmarkHandle measures the responder's own work per stream record
// (decoding both images, deciding, encoding the detail, batching) for a
// full batch of incident updates, with an EventBridge client that accepts
// everything at once.
func BenchmarkHandle(b *testing.B) {
	var recs []events.DynamoDBEventRecord
	for i := range 50 {
		old := newIncident(fmt.Sprintf("inc-%02d", i), alert.High, killchain.InitialAccess, killchain.Exfiltration)
		for j := range 8 {
			old.Entities = append(old.Entities, alert.Entity{Type: alert.EntityIP, Value: fmt.Sprintf("198.51.100.%d", j), Public: true})
		}
		grown := next(old, func(inc *incident.Incident) { inc.AlertCount++; inc.LastActivity = inc.LastActivity.Add(1) })
		recs = append(recs, record(b, i+1, "MODIFY", incidentItem(b, old, true, `{"members":[]}`), incidentItem(b, grown, true, `{"members":[]}`)))
	}
	h := New(eventbus.New(&fakeBus{}, "muster", eventbus.Options{}), fakeIncidents{}, &fakeDead{},
		Options{Logger: slog.New(slog.DiscardHandler)})
	ev := events.DynamoDBEvent{Records: recs}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}
