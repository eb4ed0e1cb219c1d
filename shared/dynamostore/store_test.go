package dynamostore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/alert"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// newStore creates a fresh table on the shared moto server.
func newStore(t *testing.T, opts dynamostore.Options) (*dynamostore.Store, string) {
	t.Helper()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config())
	name := mototest.UniqueName("muster")
	arn, err := dynamostore.CreateTable(context.Background(), db, name)
	if err != nil {
		t.Fatal(err)
	}
	return dynamostore.New(db, name, opts), arn
}

func TestCreateTableHasStreamAndIndexes(t *testing.T) {
	s, arn := newStore(t, dynamostore.Options{})
	if arn == "" {
		t.Fatal("no stream ARN")
	}
	out, err := s.Client().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &[]string{s.Table()}[0]})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Table.GlobalSecondaryIndexes); got != 3 {
		t.Fatalf("indexes = %d, want 3", got)
	}
	if string(out.Table.StreamSpecification.StreamViewType) != "NEW_AND_OLD_IMAGES" {
		t.Fatalf("stream view = %v", out.Table.StreamSpecification.StreamViewType)
	}
	// Creating it again is not an error.
	if _, err := dynamostore.CreateTable(context.Background(), s.Client(), s.Table()); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	tests := []struct {
		val     string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"30", 30 * 24 * time.Hour, false},
		{"0", 0, true},
		{"ninety", 0, true},
		{"99999", 0, true},
	}
	for _, tt := range tests {
		o, err := dynamostore.OptionsFromEnv(func(k string) string {
			if k == dynamostore.EnvAlertRetentionDays {
				return tt.val
			}
			return ""
		})
		if (err != nil) != tt.wantErr || o.AlertRetention != tt.want {
			t.Errorf("%q: %v, %v", tt.val, o.AlertRetention, err)
		}
		if err != nil && !strings.Contains(err.Error(), dynamostore.EnvAlertRetentionDays) {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
}

// TestAlertTTLFollowsRetention stores alerts and checks their expiresAt is
// the configured retention after the later of lastSeen and receipt: an old
// finding replayed today does not expire on arrival.
func TestAlertTTLFollowsRetention(t *testing.T) {
	s, _ := newStore(t, dynamostore.Options{AlertRetention: 10 * 24 * time.Hour})
	received := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		id              string
		firstSeen, want time.Time
	}{
		{"ttl-fresh", received, received.Add(10 * 24 * time.Hour)},
		{"ttl-replayed", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), received.Add(10 * 24 * time.Hour)},
		{"ttl-seen-ahead", received.Add(time.Hour), received.Add(time.Hour + 10*24*time.Hour)}, // clock skew: lastSeen after receipt
	}
	for _, tc := range tests {
		a := &alert.Alert{Provider: "generic", SourceID: tc.id, Type: "T", Severity: alert.Low,
			Resources: []alert.Resource{{ID: "r-1"}}, FirstSeen: tc.firstSeen}
		a.Finish("", received)
		if _, err := s.PutAlert(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		out, err := s.Client().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.Table()), Key: dynamostore.AlertKey(a.ID)})
		if err != nil {
			t.Fatal(err)
		}
		want := strconv.FormatInt(tc.want.Unix(), 10)
		if got := out.Item["expiresAt"].(*types.AttributeValueMemberN).Value; got != want {
			t.Errorf("%s: expiresAt = %s, want %s", tc.id, got, want)
		}
	}
}

// TestListPositionSurvivesANewMonth: a list without until reads the month
// partitions up to now+24h, so a new month partition appears at the front
// of the list between two pages; the second page still continues where
// the first stopped (the position names its partition).
func TestListPositionSurvivesANewMonth(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s, _ := newStore(t, dynamostore.Options{Now: func() time.Time { return now }})
	var want []string
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("m%d", i)
		want = append(want, id)
		inc := incident.Incident{ID: id, Title: "Security incident detected on web-1", Severity: alert.High, Status: incident.StatusActive,
			FirstActivity: now.Add(-time.Duration(i+1) * time.Hour), LastActivity: now.Add(-time.Duration(i) * time.Hour)}
		if err := s.SeedIncident(ctx, inc, nil); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	p, err := s.ListIncidents(ctx, listing.Filter{}, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		got = append(got, it.Incident.ID)
	}
	// A day later, now+24h is in December: the partitions are
	// [2026-12, 2026-11, …] where the first page saw [2026-11, …].
	now = now.Add(24 * time.Hour)
	for after := p.Next; after != ""; after = p.Next {
		if p, err = s.ListIncidents(ctx, listing.Filter{}, 2, after); err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			got = append(got, it.Incident.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages across the month boundary = %v, want %v", got, want)
	}
}
