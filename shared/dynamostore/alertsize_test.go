package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/killchain"
)

// largestAlert is a valid alert with every string at its limit, the most
// resources and tags, and url entities added until its document is as close
// to alert.MaxStoredBytes as they get: the largest item ingest can write.
func largestAlert(t *testing.T) *alert.Alert {
	t.Helper()
	pad := func(prefix string, n int) string { return prefix + strings.Repeat("x", n-len(prefix)) }
	a := &alert.Alert{
		Provider: alert.ProviderGeneric, SourceID: pad("src", alert.MaxIDLen), Type: pad("type", alert.MaxTypeLen),
		Name: pad("name", alert.MaxNameLen), Severity: alert.Critical,
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.Execution, killchain.Impact},
		FirstSeen: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	}
	for i := range alert.MaxResources {
		a.Resources = append(a.Resources, alert.Resource{
			ID: pad(fmt.Sprintf("res-%02d-", i), alert.MaxKeyLen), Type: pad("t", alert.MaxTypeLen),
			Name: pad("n", alert.MaxNameLen), Region: pad("r", alert.MaxRegionLen), Account: pad("a", alert.MaxAccountLen),
			Tags: map[string]string{"k": "v"},
		})
	}
	a.Finish("", time.Date(2026, 11, 20, 8, 1, 0, 0, time.UTC))
	for i := 0; ; i++ {
		e := alert.Entity{Type: alert.EntityURL, Value: pad(fmt.Sprintf("https://e.example/%d/", i), alert.MaxValueLen)}
		a.Entities = append(a.Entities, e)
		if n, err := a.StoredSize(); err != nil || n > alert.MaxStoredBytes {
			a.Entities = a.Entities[:len(a.Entities)-1]
			break
		}
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckStoredSize(); err != nil {
		t.Fatal(err)
	}
	return a
}

// The budget holds: the largest valid alert encodes within
// MaxAlertItemBytes (so EncodeAlert never refuses one), moto stores it,
// and the headroom left for the correlator's attributes is real.
func TestLargestValidAlertFitsAnItem(t *testing.T) {
	a := largestAlert(t)
	doc, _ := a.StoredSize()
	item, err := dynamostore.EncodeAlert(a, 1, 90*24*time.Hour)
	if err != nil {
		t.Fatalf("EncodeAlert: %v", err)
	}
	size := dynamostore.ItemSize(item)
	t.Logf("document %d bytes, item %d bytes (limit %d, DynamoDB 400 KB)", doc, size, dynamostore.MaxAlertItemBytes)
	if size > dynamostore.MaxAlertItemBytes || size <= doc {
		t.Fatalf("item %d bytes, document %d, limit %d", size, doc, dynamostore.MaxAlertItemBytes)
	}
	s, _ := newStore(t, dynamostore.Options{})
	res, err := s.PutAlert(context.Background(), a)
	if err != nil {
		t.Fatalf("PutAlert of the largest valid alert: %v", err)
	}
	got, err := s.GetAlert(context.Background(), a.ID)
	if err != nil || len(got.Entities) != len(a.Entities) || res.Alert.ID != a.ID {
		t.Fatalf("stored %d entities (%v), want %d", len(got.Entities), err, len(a.Entities))
	}
}

// ItemSize counts what DynamoDB counts (as moto models it, with its limit
// of 405,000 bytes): an item ItemSize puts at the limit is accepted, one
// byte more is refused.
func TestItemSizeAgreesWithMoto(t *testing.T) {
	s, _ := newStore(t, dynamostore.Options{})
	const motoLimit = 405_000
	for _, over := range []bool{false, true} {
		item := dynamostore.AlertKey(fmt.Sprintf("size-%v", over))
		n := motoLimit - dynamostore.ItemSize(item) - len("doc")
		if over {
			n++
		}
		item["doc"] = &types.AttributeValueMemberS{Value: strings.Repeat("d", n)}
		_, err := s.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item})
		if (err != nil) != over {
			t.Fatalf("over=%v: PutItem error %v", over, err)
		}
	}
}

// EncodeAlert refuses an item over MaxAlertItemBytes with a field error,
// before anything reaches the table.
func TestEncodeAlertRefusesOversizedItem(t *testing.T) {
	a := sampleAlert()
	a.Description = strings.Repeat("d", dynamostore.MaxAlertItemBytes)
	_, err := dynamostore.EncodeAlert(a, 1, 0)
	var fe *alert.FieldError
	if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "item" ||
		!strings.Contains(fe.Reason, fmt.Sprint(dynamostore.MaxAlertItemBytes)) {
		t.Fatalf("EncodeAlert = %v, want an item field error naming the limit", err)
	}
}

// DynamoDB's key-size ValidationException (here: a resource id that makes
// the resource index key longer than 2,048 bytes, which only the table
// checks once an alert skips validation) is a permanent refusal of that
// alert: an alert.ErrInvalid field error, without DynamoDB's text or the
// item's data, and nothing is written.
func TestPutAlertValidationExceptionIsARefusal(t *testing.T) {
	s, _ := newStore(t, dynamostore.Options{})
	a := sampleAlert()
	secret := "SENTINEL-" + strings.Repeat("q", 2100)
	a.Resources[0].ID = secret
	_, err := s.PutAlert(context.Background(), a)
	var fe *alert.FieldError
	if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "item" {
		t.Fatalf("PutAlert = %v, want an ErrInvalid item error", err)
	}
	for _, leak := range []string{"SENTINEL", "qqqq", "hashkey", "parameter values"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error text carries %q: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("error text should keep the error code for the logs: %v", err)
	}
	if _, err := s.GetAlert(context.Background(), a.ID); err == nil {
		t.Fatal("a refused alert was stored")
	}
}

// An item DynamoDB itself refuses as over 400 KB is a refusal of the alert
// and writes nothing. Here another writer has grown the stored item, so a
// re-delivery whose merge EncodeAlert accepts is over the table's limit
// once the item's other attributes are kept.
func TestPutAlertItemSizeIsARefusal(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t, dynamostore.Options{})
	big := largestAlert(t)
	small := *big
	small.Entities = big.Entities[:1]
	if _, err := s.PutAlert(ctx, &small); err != nil {
		t.Fatal(err)
	}
	out, err := s.Client().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table()), Key: dynamostore.AlertKey(big.ID)})
	if err != nil {
		t.Fatal(err)
	}
	item := out.Item
	item["correlatorNote"] = &types.AttributeValueMemberS{Value: "SENTINEL-" + strings.Repeat("n", 150_000)}
	if _, err := s.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table()), Item: item}); err != nil {
		t.Fatal(err)
	}
	again := *big
	again.LastSeen = big.LastSeen.Add(time.Hour)
	_, err = s.PutAlert(ctx, &again)
	var fe *alert.FieldError
	if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "item" {
		t.Fatalf("PutAlert = %v, want an ErrInvalid item error", err)
	}
	t.Logf("refusal: %v", err)
	for _, leak := range []string{"SENTINEL", "nnnn", "exceeded the maximum"} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error text carries %q: %v", leak, err)
		}
	}
	got, err := s.GetAlert(ctx, big.ID)
	if err != nil || len(got.Entities) != 1 || !got.LastSeen.Equal(small.LastSeen) {
		t.Fatalf("stored alert changed: %d entities, lastSeen %v (%v)", len(got.Entities), got.LastSeen, err)
	}
}

// failingPuts is a store whose PutItem calls fail with a ValidationException
// carrying msg, as DynamoDB would send it.
func failingPuts(t *testing.T, msg string) *dynamostore.Store {
	t.Helper()
	plain, _ := newStore(t, dynamostore.Options{})
	fail := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("fail",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if awsmiddleware.GetOperationName(ctx) == "PutItem" {
						return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "ValidationException", Message: msg}
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}
	return dynamostore.New(dynamodb.New(plain.Client().Options(), fail), plain.Table(), dynamostore.Options{})
}

// Only DynamoDB's size refusals are a rejected alert; any other
// ValidationException is a request we built wrong, a storage error (a
// 500), not the sender's fault. Neither carries DynamoDB's message.
func TestPutAlertOnlySizeValidationIsARefusal(t *testing.T) {
	tests := []struct {
		name, msg string
		refusal   bool
	}{
		{"item size", "Item size has exceeded the maximum allowed size", true},
		{"item size to update", "Item size to update has exceeded the maximum allowed size", true},
		{"hash key size", "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes", true},
		{"range keys size", "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes", true},
		{"index key size", "One or more parameter values were invalid: Size limit exceeded for Index Key gsi3pk Actual Size: 2175 bytes Max Size: 2048 bytes IndexName: gsi3", true},
		{"duplicate in a string set", "One or more parameter values were invalid: Input collection [KEY#ip:203.0.113.5, KEY#ip:203.0.113.5] contains duplicates.", false},
		{"bad condition expression", "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"#v = = :v\"", false},
		{"empty key attribute", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: gsi1pk", false},
		{"key type mismatch", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := failingPuts(t, tc.msg).PutAlert(context.Background(), sampleAlert())
			if err == nil {
				t.Fatal("PutAlert succeeded")
			}
			if got := errors.Is(err, alert.ErrInvalid); got != tc.refusal {
				t.Fatalf("refusal = %v, want %v: %v", got, tc.refusal, err)
			}
			if !strings.Contains(err.Error(), "ValidationException") {
				t.Fatalf("error text should keep the error code for the logs: %v", err)
			}
			for _, leak := range []string{"203.0.113.5", "parameter values", "exceeded", "token", "mismatch"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error text carries %q: %v", leak, err)
				}
			}
		})
	}
}
