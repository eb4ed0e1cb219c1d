package dynamostore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

// TestListWindowCapsMonthPartitions: a list walks at most MaxListMonths
// month partitions of the time index per source; a wider window is
// refused with ErrWindowTooWide before anything is read. Months are
// counted from the Query calls the store makes (each month is read in its
// write shards and its unsharded key).
func TestListWindowCapsMonthPartitions(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	srv := mototest.Get(t)
	counter := &awsmeter.Meter{}
	db := dynamodb.NewFromConfig(counter.Config(srv.Config(), "store"), mototest.QueryBudget(600))
	name := mototest.UniqueName("window")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	store := dynamostore.New(db, name, dynamostore.Options{Now: func() time.Time { return now }})
	incidents := func(ctx context.Context, f listing.Filter) error {
		_, err := store.ListIncidents(ctx, f, 50, "")
		return err
	}
	alerts := func(ctx context.Context, f listing.Filter) error {
		_, err := store.ListAlerts(ctx, f, 50, "")
		return err
	}
	tests := []struct {
		name  string
		list  func(context.Context, listing.Filter) error
		f     listing.Filter
		parts int // month partitions read; -1: refused
	}{
		{"26 months of alerts", alerts, listing.Filter{Since: day(2024, 10, 1), Until: day(2026, 11, 30)}, 26},
		{"27 months of alerts", alerts, listing.Filter{Since: day(2024, 9, 30), Until: day(2026, 11, 30)}, -1},
		{"26 months of incidents", incidents, listing.Filter{Since: day(2024, 10, 31), Until: day(2026, 11, 1)}, 26},
		{"until in year 9999", incidents, listing.Filter{Since: now.Add(-time.Hour), Until: day(9999, 12, 31)}, -1},
		{"since ten years back, no until", alerts, listing.Filter{Since: now.AddDate(-10, 0, 0)}, -1},
		{"alerts and incidents, too wide", alerts, listing.Filter{Kind: listing.KindAll, Since: day(2020, 1, 1)}, -1},
		{"alerts and incidents, 90 days", alerts, listing.Filter{Kind: listing.KindAll}, 2 * 4},
		{"one incident's alerts are not in month partitions", alerts, listing.Filter{Incidents: []string{"inc-1"}, Since: time.Unix(0, 0)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counter.Reset()
			err := tt.list(context.Background(), tt.f)
			months := map[string]bool{}
			for _, c := range counter.Calls() {
				if c.Operation == "Query" && c.Index == resources.IndexTime {
					months[dynamostore.UnshardedBucket(c.Partition)] = true
				}
			}
			if tt.parts < 0 {
				if !errors.Is(err, dynamostore.ErrWindowTooWide) || len(counter.Calls()) != 0 {
					t.Fatalf("err = %v after %d calls, want ErrWindowTooWide before any", err, len(counter.Calls()))
				}
				return
			}
			if err != nil || len(months) != tt.parts {
				t.Fatalf("err = %v, read %d month partitions, want %d: %v", err, len(months), tt.parts, months)
			}
		})
	}
}
