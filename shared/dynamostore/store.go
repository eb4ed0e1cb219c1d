// Package dynamostore keeps Muster's alerts, incidents, correlation state
// and suppression rules in one DynamoDB table, laid out as the resources
// package describes.
//
// Store implements the storage interfaces declared by the packages that use
// it (ingest, correlator, query); each implementation is asserted next to
// its methods, and the same conformance suite (storetest) runs against
// Store on moto and against the in-memory memstore.
//
// No method issues a Scan: every read is a GetItem, a BatchGetItem or a
// Query on the table or one of its indexes.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/shared/resources"
)

// Store is the DynamoDB implementation of Muster's storage.
type Store struct {
	db        *dynamodb.Client
	table     string
	now       func() time.Time
	retention time.Duration
}

// Options tune a Store. The zero value is usable.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// AlertRetention is how long an alert item lives after the later of
	// its last sighting and its receipt (its TTL, alert.ExpiresAt);
	// DefaultAlertRetention when zero.
	AlertRetention time.Duration
}

// DefaultAlertRetention is the alert TTL when none is configured.
const DefaultAlertRetention = 90 * 24 * time.Hour

// EnvAlertRetentionDays names the variable OptionsFromEnv reads.
const EnvAlertRetentionDays = "MUSTER_ALERT_RETENTION_DAYS"

// OptionsFromEnv reads MUSTER_ALERT_RETENTION_DAYS (whole days, 1 to
// 3650; default 90).
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	if v := getenv(EnvAlertRetentionDays); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 3650 {
			return o, fmt.Errorf("%s=%q: want whole days between 1 and 3650", EnvAlertRetentionDays, v)
		}
		o.AlertRetention = time.Duration(days) * 24 * time.Hour
	}
	return o, nil
}

// New returns a Store on table.
func New(db *dynamodb.Client, table string, opts Options) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AlertRetention <= 0 {
		opts.AlertRetention = DefaultAlertRetention
	}
	return &Store{db: db, table: table, now: opts.Now, retention: opts.AlertRetention}
}

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// Client returns the underlying DynamoDB client.
func (s *Store) Client() *dynamodb.Client { return s.db }

// CreateTable creates the table from resources.MusterTable (on-demand, with
// its stream and TTL) and waits until it is active. It returns the stream
// ARN. An existing table is left as it is.
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) (string, error) {
	def := resources.MusterTable
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(def.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(def.SortKey), AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range def.Indexes {
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.SortKey), AttributeType: types.ScalarAttributeTypeS})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(def.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(def.SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(def.StreamView),
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return "", fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 100 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 60*time.Second); err != nil {
		return "", fmt.Errorf("wait for table %s: %w", name, err)
	}
	if err == nil {
		_, terr := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(def.TTLAttribute), Enabled: aws.Bool(true),
			},
		})
		if terr != nil {
			return "", fmt.Errorf("enable ttl on %s: %w", name, terr)
		}
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe table %s: %w", name, err)
	}
	return aws.ToString(out.Table.LatestStreamArn), nil
}
