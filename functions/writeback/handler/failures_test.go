package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/writeback/handler"
	"github.com/muster-sec/muster/shared/incident"
)

func TestWriteBackFailures(t *testing.T) {
	tests := []struct {
		name string
		// unprocessed maps a Security Hub finding id to the codes it is
		// left unprocessed with, call after call.
		unprocessed map[string][]string
		failStatus  int
		failType    string
		// wantCalls is the number of BatchUpdateFindings calls that got
		// through; wantRetry the records named in BatchItemFailures;
		// wantDead the reason codes dead-lettered.
		wantCalls int
		wantRetry []string
		wantDead  []string
	}{
		{name: "unprocessed for a passing reason, sent again",
			unprocessed: map[string][]string{"vendor-sh-001": {"InternalFailure"}}, wantCalls: 2},
		{name: "unprocessed for good, dead-lettered",
			unprocessed: map[string][]string{"vendor-sh-001": {"FindingNotFound"}}, wantCalls: 1, wantDead: []string{"UnprocessedFindings"}},
		{name: "still unprocessed after the last attempt, retried",
			unprocessed: map[string][]string{"vendor-sh-001": {"LimitExceeded", "LimitExceeded", "LimitExceeded"}},
			wantCalls:   3, wantRetry: []string{"1", "2"}},
		{name: "throttled, retried with the records after it",
			failStatus: http.StatusTooManyRequests, failType: "TooManyRequestsException", wantRetry: []string{"1", "2"}},
		{name: "service error, retried", failStatus: http.StatusInternalServerError, failType: "InternalException", wantRetry: []string{"1", "2"}},
		{name: "invalid input, dead-lettered", failStatus: http.StatusBadRequest, failType: "InvalidInputException",
			wantDead: []string{"InvalidInputException", "InvalidInputException"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAWS(t)
			fake.unprocessed, fake.failStatus, fake.failType = tc.unprocessed, tc.failStatus, tc.failType
			if fake.unprocessed == nil {
				fake.unprocessed = map[string][]string{}
			}
			sh, _ := fake.clients(noRetries)
			alerts, ids := setup(2, 3)
			var dead letters
			h := handler.New(alerts, &dead, handler.Options{SecurityHub: sh, Logger: testLogger(t), ConsoleURL: "https://muster.example.com"})
			batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
				incidentRecord(t, "1", incident.StatusActive, incident.StatusResolved, ids),
				incidentRecord(t, "2", incident.StatusResolved, incident.StatusActive, ids),
			}}
			resp, err := h.Handle(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			var retried []string
			for _, f := range resp.BatchItemFailures {
				retried = append(retried, f.ItemIdentifier)
			}
			var codes []string
			for _, r := range dead {
				codes = append(codes, r.Code)
				if r.Code == handler.CodeUnprocessedFindings && !strings.Contains(r.Message, "vendor-sh-001: FindingNotFound") {
					t.Errorf("dead letter %q does not name the finding and its code", r.Message)
				}
			}
			if fmt.Sprint(retried) != fmt.Sprint(tc.wantRetry) || fmt.Sprint(codes) != fmt.Sprint(tc.wantDead) {
				t.Errorf("retried %v, dead-lettered %v; want %v, %v", retried, codes, tc.wantRetry, tc.wantDead)
			}
			if calls := countFor(fake, "RESOLVED"); calls != tc.wantCalls {
				t.Errorf("%d RESOLVED calls got through, want %d", calls, tc.wantCalls)
			}
			if len(fake.updates) > 0 && tc.wantCalls > 1 {
				last := fake.updates[tc.wantCalls-1]
				if len(last.FindingIdentifiers) != 1 || last.FindingIdentifiers[0].ID != "vendor-sh-001" {
					t.Errorf("a repeated call sent %+v, want only the unprocessed finding", last.FindingIdentifiers)
				}
			}
		})
	}
}

func countFor(f *fakeAWS, status string) int {
	n := 0
	for _, u := range f.updates {
		if u.Workflow.Status == status {
			n++
		}
	}
	return n
}
