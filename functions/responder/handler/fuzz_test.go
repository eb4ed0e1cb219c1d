package handler

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzHandleRecord feeds arbitrary stream records (Lambda's JSON form) to
// the handler: it must never panic, and each record must end published,
// skipped, dead-lettered or retried — never lost.
func FuzzHandleRecord(f *testing.F) {
	recs, _ := mixedBatch(f)
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"eventName":"INSERT","dynamodb":{"SequenceNumber":"1","Keys":{"pk":{"S":"INCIDENT#x"},"sk":{"S":"RESPONSE#1"}},"NewImage":{"doc":{"S":"{}"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec events.DynamoDBEventRecord
		if err := json.Unmarshal(data, &rec); err != nil || rec.Change.SequenceNumber == "" {
			return
		}
		bus, dead := &fakeBus{}, &fakeDead{}
		h := newHandler(t, bus, dead, fakeIncidents{}, nil)
		resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if n := len(bus.accepted) + len(dead.letters) + len(resp.BatchItemFailures); n > 1 {
			t.Fatalf("one record ended %d ways", n)
		}
	})
}
