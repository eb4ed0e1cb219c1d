package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/incident"
)

// ResponseStore is the playbook-report area: reports on the response
// requests of the incident area.
type ResponseStore interface {
	IncidentStore
	ReportResponse(ctx context.Context, id, requestID string, report func(*incident.ResponseRequest) error) (incident.ResponseRequest, error)
}

func init() { register("responses", RunResponses) }

// RunResponses runs the playbook-report area's conformance tests.
func RunResponses(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	s, ok := newStore(t).(ResponseStore)
	if !ok {
		t.Skip("store does not implement the response area")
	}
	for _, id := range []string{"r1", "r2"} {
		if err := s.SeedIncident(ctx, testIncident(id, at), nil); err != nil {
			t.Fatal(err)
		}
	}
	req, err := s.AddResponseRequest(ctx, incident.ResponseRequest{IncidentID: "r1", Playbook: "isolate-instance", RequestedBy: "alice", RequestedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	report := func(st incident.ResponseStatus, msg string) func(*incident.ResponseRequest) error {
		return func(r *incident.ResponseRequest) error {
			return r.Report(incident.ResponseReport{Status: st, Message: msg}, at.Add(time.Minute))
		}
	}
	if _, err := s.ReportResponse(ctx, "r1", "nope", report(incident.ResponseRunning, "")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("unknown request: %v", err)
	}
	if _, err := s.ReportResponse(ctx, "r2", req.ID, report(incident.ResponseRunning, "")); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("request of another incident: %v", err)
	}
	for _, st := range []incident.ResponseStatus{incident.ResponseRunning, incident.ResponseSucceeded} {
		if _, err := s.ReportResponse(ctx, "r1", req.ID, report(st, "step "+string(st))); err != nil {
			t.Fatalf("report %s: %v", st, err)
		}
	}
	if _, err := s.ReportResponse(ctx, "r1", req.ID, report(incident.ResponseRunning, "late")); !errors.Is(err, incident.ErrReportIgnored) {
		t.Errorf("report after Succeeded: %v", err)
	}
	reqs, err := s.ResponseRequests(ctx, "r1")
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests = %+v, %v", reqs, err)
	}
	if got := reqs[0]; got.Status != incident.ResponseSucceeded || got.Reports != 2 || got.Message != "step Succeeded" || got.UpdatedAt == nil {
		t.Errorf("stored request %+v", got)
	}
	tl, _ := s.Timeline(ctx, "r1")
	var byPlaybook int
	for _, e := range tl {
		if e.Actor == "playbook:isolate-instance" {
			byPlaybook++
		}
	}
	if byPlaybook != 2 {
		t.Errorf("%d timeline entries by the playbook, want 2: %+v", byPlaybook, tl)
	}
}
