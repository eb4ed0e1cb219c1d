package dynamostore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/storetest"
)

// smallPages makes every Query without a filter return at most n items, so
// that reads which page to the end cross several pages even on small test
// tables. Filtered list queries keep their Limit: it is part of the list's
// contract (a selective filter still fills the first page).
func smallPages(n int32) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("SmallPages",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if q, ok := in.Parameters.(*dynamodb.QueryInput); ok && q.FilterExpression == nil && (q.Limit == nil || *q.Limit > n) {
						q.Limit = aws.Int32(n)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
}

// TestConformanceSmallPages runs the conformance suite with Query pages of
// one item: every read that pages must still see every item, in order.
func TestConformanceSmallPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		srv := mototest.Get(t)
		db := dynamodb.NewFromConfig(srv.Config(), smallPages(1))
		name := mototest.UniqueName("muster")
		if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
			t.Fatal(err)
		}
		return dynamostore.New(db, name, dynamostore.Options{})
	})
}

// TestLoadKeyDaysAcrossBatches reads more keys than one BatchGetItem call
// takes (100): records in every chunk are found.
func TestLoadKeyDaysAcrossBatches(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, dynamostore.Options{})
	var ids []correlate.KeyDayID
	for i := range 250 {
		ids = append(ids, correlate.KeyDayID{Key: alert.Key(fmt.Sprintf("ip:198.51.100.%d", i)), Day: "2026-11-20"})
	}
	stored := []correlate.KeyDayID{ids[3], ids[140], ids[249]}
	var kds []*correlate.KeyDay
	for _, id := range stored {
		kds = append(kds, &correlate.KeyDay{Key: id.Key, Day: id.Day, Version: 1})
	}
	if err := s.Commit(ctx, &correlate.Unit{KeyDays: kds}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadKeyDays(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(stored) {
		t.Fatalf("loaded %d key-days, want %d", len(got), len(stored))
	}
	for _, id := range stored {
		if got[id] == nil {
			t.Errorf("key-day %v not loaded", id)
		}
	}
}
