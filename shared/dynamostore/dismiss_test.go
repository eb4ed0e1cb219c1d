package dynamostore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
)

// TestDismissAlertsRetriesAConcurrentChange: an alert re-delivered between
// the dismissal's read and its write is read again and dismissed, keeping
// the re-delivery's changes, instead of failing the whole request.
func TestDismissAlertsRetriesAConcurrentChange(t *testing.T) {
	ctx := context.Background()
	plain, _ := newStore(t, dynamostore.Options{})
	a := sampleAlert()
	if _, err := plain.PutAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	var interfered atomic.Bool
	interfere := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("interfere",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					// Before the dismissal's first write, the source delivers
					// the alert again (count 2, later lastSeen).
					if awsmiddleware.GetOperationName(ctx) == "PutItem" && interfered.CompareAndSwap(false, true) {
						again := *a
						again.Count, again.LastSeen = 2, a.LastSeen.Add(time.Minute)
						if _, err := plain.PutAlert(ctx, &again); err != nil {
							t.Errorf("re-delivery: %v", err)
						}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
	st := dynamostore.New(dynamodb.New(plain.Client().Options(), interfere), plain.Table(), dynamostore.Options{})
	n, err := st.DismissAlerts(ctx, []string{a.ID}, "rule-1")
	if err != nil || n != 1 {
		t.Fatalf("DismissAlerts = %d, %v; want 1, nil", n, err)
	}
	if !interfered.Load() {
		t.Fatal("the re-delivery never happened; the test's premise is wrong")
	}
	got, err := plain.GetAlert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != alert.StatusDismissed || got.SuppressedBy != "rule-1" || got.Count != 2 {
		t.Fatalf("stored alert: status %s, suppressedBy %q, count %d; want Dismissed, rule-1, 2", got.Status, got.SuppressedBy, got.Count)
	}
}
