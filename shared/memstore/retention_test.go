package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/memstore"
)

// TestAlertRetentionCountsFromReceipt: as the DynamoDB store's TTL, an
// alert expires retention after the later of its last sighting and its
// receipt, so an old finding replayed today is kept, not gone on arrival.
func TestAlertRetentionCountsFromReceipt(t *testing.T) {
	const retention = 90 * 24 * time.Hour
	received := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		firstSeen time.Time
		after     time.Duration // since receipt
		found     bool
	}{
		{"replayed, on arrival", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), 0, true},
		{"replayed, within retention", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), retention - time.Hour, true},
		{"replayed, after retention", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), retention + time.Hour, false},
		{"fresh, after retention", received, retention + time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := received
			s := memstore.New(func() time.Time { return now }).WithAlertRetention(retention)
			a := &alert.Alert{Provider: "generic", SourceID: "old-1", Type: "T", Severity: alert.Low,
				Resources: []alert.Resource{{ID: "r-1"}}, FirstSeen: tc.firstSeen}
			a.Finish("", received)
			if _, err := s.PutAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			now = received.Add(tc.after)
			_, err := s.GetAlert(context.Background(), a.ID)
			if found := err == nil; found != tc.found || err != nil && !errors.Is(err, incident.ErrNotFound) {
				t.Fatalf("GetAlert after %v: err %v, want found %v", tc.after, err, tc.found)
			}
		})
	}
}
