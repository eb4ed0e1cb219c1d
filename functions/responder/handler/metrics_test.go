package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/metrics"
)

// failingCounters refuses every write.
type failingCounters struct{}

func (failingCounters) AddMetrics(context.Context, string, string, metrics.Delta) error {
	return errors.New("throttled")
}

func (failingCounters) AlertDetections(context.Context, []string) (map[string]string, error) {
	return nil, errors.New("throttled")
}

// TestMetricsFromChanges: an incident's life (created, taken, resolved an
// hour later, classified) adds its counters once, however often the batch
// is replayed; a failed counter write retries the record.
func TestMetricsFromChanges(t *testing.T) {
	st, err := json.Marshal(correlate.GroupState{Members: []correlate.Member{
		{Membership: incident.Membership{AlertID: "x1"}, Provider: "guardduty", Name: "SSH brute force", Severity: alert.High, FirstSeen: t0, LastSeen: t0},
		{Membership: incident.Membership{AlertID: "x2"}, Provider: "guardduty", Name: "SSH brute force", Severity: alert.High, FirstSeen: t0, LastSeen: t0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	group := string(st)
	v1 := newIncident("a", alert.High, killchain.InitialAccess, killchain.Execution)
	v2 := next(v1, func(i *incident.Incident) { i.Owner, i.Status = "ana", incident.StatusInProgress })
	v3 := next(v2, func(i *incident.Incident) {
		i.Status, i.Classification = incident.StatusResolved, incident.FalsePositive
		i.UpdatedAt = i.CreatedAt.Add(time.Hour)
	})
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record(t, 1, "INSERT", nil, incidentItem(t, v1, true, group)),
		record(t, 2, "MODIFY", incidentItem(t, v1, true, group), incidentItem(t, v2, true, group)),
		record(t, 3, "MODIFY", incidentItem(t, v2, true, group), incidentItem(t, v3, true, group)),
	}}
	store := memstore.New(nil)
	// The alerts' names differ (they carry the address); their type is
	// the detection.
	for i, id := range []string{"x1", "x2"} {
		a := alert.Alert{Provider: "guardduty", SourceID: id, Type: "UnauthorizedAccess:EC2/SSHBruteForce",
			Name: fmt.Sprintf("198.51.100.%d is performing SSH brute force attacks", i), Severity: alert.High, FirstSeen: t0}
		a.Finish("", t0)
		a.ID = id
		if _, err := store.PutAlert(context.Background(), &a); err != nil {
			t.Fatal(err)
		}
	}
	h := newHandler(t, &fakeBus{}, &fakeDead{}, fakeIncidents{}, nil)
	h.metrics = store
	det := "det." + metrics.Detection("guardduty", "UnauthorizedAccess:EC2/SSHBruteForce")
	want := map[string]int64{
		metrics.Created: 1, metrics.CreatedSev + "High": 1, metrics.Correlated: 2,
		metrics.Stage + "InitialAccess": 1, metrics.Stage + "Execution": 1, det + metrics.DetInc: 1,
		metrics.StatusTo + "InProgress": 1, metrics.StatusTo + "Resolved": 1, metrics.Resolved: 1,
		metrics.ClassTo + "FalsePositive": 1, det + metrics.DetFalse: 1,
	}
	for round := range 3 {
		resp, err := h.Handle(context.Background(), batch)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("round %d: %v %+v", round, err, resp)
		}
		days, err := store.MetricDays(context.Background(), "2026-11-20", "2026-11-20")
		if err != nil || len(days) != 1 {
			t.Fatalf("round %d: days %v, %v", round, days, err)
		}
		got := maps.Clone(days[0].Counts)
		for k := range got {
			if k[:5] == "mtta." || k[:5] == "mttr." {
				delete(got, k)
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("round %d: counters %v, want %v", round, got, want)
		}
		r := metrics.Build(days, t0, t0, false).Total
		if r.MTTA.Count != 1 || r.MTTR.Count != 1 || r.MTTR.Median < 55*time.Minute || r.MTTR.Median > 66*time.Minute {
			t.Errorf("round %d: MTTA %+v, MTTR %+v, want one each, MTTR about 1h", round, r.MTTA, r.MTTR)
		}
	}
	h.metrics = failingCounters{}
	resp, err := h.Handle(context.Background(), batch)
	if err != nil || len(resp.BatchItemFailures) != 3 {
		t.Errorf("failed counter writes: %v, %d records to retry, want 3", err, len(resp.BatchItemFailures))
	}
}
