package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/functions/correlator/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

var day0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func clock() time.Time { return day0.Add(48 * time.Hour) }

// env is a table on the shared moto server with its stream.
type env struct {
	t      testing.TB
	db     *dynamodb.Client
	store  *dynamostore.Store
	table  string
	arn    string
	stream *mototest.Stream
}

func newEnv(t testing.TB, opts ...func(*dynamodb.Options)) *env {
	t.Helper()
	srv := mototest.Get(t)
	db := dynamodb.NewFromConfig(srv.Config(), opts...)
	name := mototest.UniqueName("muster-corr")
	arn, err := dynamostore.CreateTable(context.Background(), db, name)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, table: name, arn: arn, store: dynamostore.New(db, name, dynamostore.Options{Now: clock}),
		stream: mototest.NewStream(t, srv.Config(), arn)}
}

func (e *env) handler(cfg correlate.Config, store correlate.Store) *handler.Handler {
	e.t.Helper()
	if store == nil {
		store = e.store
	}
	h, err := handler.New(store, cfg, handler.Options{Now: clock})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// put writes alert items as ingest does: a new item at version 1, or a
// re-delivery merged into the stored alert at the next version.
func (e *env) put(alerts ...*alert.Alert) {
	e.t.Helper()
	for _, a := range alerts {
		v := int64(1)
		out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.table), Key: dynamostore.AlertKey(a.ID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			e.t.Fatal(err)
		}
		if out.Item != nil {
			stored, sv, err := dynamostore.DecodeAlert(out.Item)
			if err != nil {
				e.t.Fatal(err)
			}
			merged, _ := normalize.Merge(stored, *a)
			a, v = &merged, sv+1
		}
		item, err := dynamostore.EncodeAlert(a, v, 90*24*time.Hour)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: item}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// records reads the stream records written since the last call, shaped
// exactly as Lambda delivers them.
func (e *env) records() []events.DynamoDBEventRecord {
	e.t.Helper()
	return e.stream.Records()
}

// items returns every item of the table as comparable JSON, keyed by
// pk/sk (tests only: Scan is fine here, never in the product).
func (e *env) items() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	p := dynamodb.NewScanPaginator(e.db, &dynamodb.ScanInput{TableName: aws.String(e.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, it := range page.Items {
			js, err := attributevalue.MarshalMapJSON(it)
			if err != nil {
				e.t.Fatal(err)
			}
			// Canonical JSON (sorted keys) so equal items compare equal.
			var v any
			if err := json.Unmarshal(js, &v); err != nil {
				e.t.Fatal(err)
			}
			js, _ = json.Marshal(v)
			out[dynamostore.StringAttr(it, "pk")+"/"+dynamostore.StringAttr(it, "sk")] = string(js)
		}
	}
	return out
}

// groups decodes every group item of the table.
func (e *env) groups() []*correlate.Group {
	e.t.Helper()
	var out []*correlate.Group
	p := dynamodb.NewScanPaginator(e.db, &dynamodb.ScanInput{TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(pk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: resources.PrefixIncident}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, it := range page.Items {
			g, err := dynamostore.DecodeGroup(it)
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, g)
		}
	}
	return out
}

// outcome describes the live groups by their members' source ids, with
// "*" for incidents and the tactics.
func (e *env) outcome(names map[string]string) []string {
	var out []string
	for _, g := range e.groups() {
		if !g.Live() {
			continue
		}
		var ms []string
		for _, id := range g.MemberIDs() {
			ms = append(ms, names[id])
		}
		sort.Strings(ms)
		s := strings.Join(ms, " ")
		if g.IsIncident {
			s += fmt.Sprintf(" * %v", g.Incident.Tactics)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (e *env) alertDoc(id string) alert.Alert {
	e.t.Helper()
	out, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.table), Key: dynamostore.AlertKey(id)})
	if err != nil || out.Item == nil {
		e.t.Fatalf("get alert %s: %v", id, err)
	}
	a, _, err := dynamostore.DecodeAlert(out.Item)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := dynamostore.StringAttr(out.Item, "incidentId"); got != a.IncidentID {
		e.t.Fatalf("alert %s: incidentId attribute %q, document %q", id, got, a.IncidentID)
	}
	return a
}

// samples loads the sample scenario from events/samples: the
// multi-source campaign on web-prod-1, the same attacker on a second
// instance, and noise, normalised as ingest does.
func samples(t testing.TB) (attack, second, noise []*alert.Alert) {
	t.Helper()
	root := "../../../"
	b, err := os.ReadFile(root + "events/samples/scenario/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct{ Provider, File, Role string }
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, m := range manifest {
		body, err := os.ReadFile(root + m.File)
		if err != nil {
			t.Fatal(err)
		}
		res, err := normalize.Parse(m.Provider, body, day0)
		if err != nil {
			t.Fatalf("%s: %v", m.File, err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", m.File, r.Err)
			}
			switch m.Role {
			case "campaign":
				attack = append(attack, r.Alert)
			case "second-instance":
				second = append(second, r.Alert)
			default:
				noise = append(noise, r.Alert)
			}
		}
	}
	return attack, second, noise
}

func names(lists ...[]*alert.Alert) map[string]string {
	m := map[string]string{}
	for _, l := range lists {
		for _, a := range l {
			m[a.ID] = a.SourceID
		}
	}
	return m
}

func concat(lists ...[]*alert.Alert) []*alert.Alert {
	var out []*alert.Alert
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
