package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Tokens of the test authenticator.
const (
	readToken   = "reader-token"
	writeToken  = "writer-token"
	ingestToken = "ingest-token"
	// respondToken is a playbook's: it may report on response requests
	// and do nothing else.
	respondToken = "playbook-token"
)

type env struct {
	t     testing.TB
	h     *handler.Handler
	store *dynamostore.Store
	db    *dynamodb.Client
	meter *awsmeter.Meter
}

// newEnv starts a handler on a fresh table; opts add DynamoDB client
// options (a query budget, say).
func newEnv(t testing.TB, opts ...func(*dynamodb.Options)) *env {
	t.Helper()
	srv := mototest.Get(t)
	meter := &awsmeter.Meter{}
	db := dynamodb.NewFromConfig(meter.Config(srv.Config(), "query"), opts...)
	name := mototest.UniqueName("query")
	if _, err := dynamostore.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	store := dynamostore.New(db, name, dynamostore.Options{Now: clock})
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenConfig{
		{Name: "reader", Token: readToken, Scopes: []string{"read"}},
		{Name: "writer", Token: writeToken, Scopes: []string{"read", "write"}},
		{Name: "ingester", Token: ingestToken, Scopes: []string{"ingest:*"}},
		{Name: "playbook:isolate-instance", Token: respondToken, Scopes: []string{"respond"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := handler.New(handler.Options{Store: store, Auth: authn, CursorKey: []byte("test-cursor-key"), Now: clock,
		APIURL: "https://muster.example", ReportWait: time.Hour})
	meter.Reset()
	return &env{t: t, h: h, store: store, db: db, meter: meter}
}

// call is one API request.
type call struct {
	method  string
	path    string
	token   string
	query   map[string]string
	body    string
	headers map[string]string
}

func (e *env) do(c call) events.APIGatewayProxyResponse {
	e.t.Helper()
	req := events.APIGatewayProxyRequest{HTTPMethod: c.method, Path: c.path, QueryStringParameters: c.query,
		Headers: map[string]string{}, Body: c.body}
	if c.token != "" {
		req.Headers["Authorization"] = "Bearer " + c.token
	}
	if c.body != "" {
		req.Headers["Content-Type"] = "application/json"
	}
	for k, v := range c.headers {
		req.Headers[k] = v
	}
	resp, err := e.h.ServeAPI(context.Background(), req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	return resp
}

// doMulti sends c with multi-value query parameters.
func (e *env) doMulti(c call, q map[string][]string) events.APIGatewayProxyResponse {
	e.t.Helper()
	req := events.APIGatewayProxyRequest{HTTPMethod: c.method, Path: c.path, MultiValueQueryStringParameters: q,
		Headers: map[string]string{"Authorization": "Bearer " + c.token}}
	resp, err := e.h.ServeAPI(context.Background(), req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	return resp
}

func (e *env) get(path, token string, query map[string]string) events.APIGatewayProxyResponse {
	e.t.Helper()
	return e.do(call{method: http.MethodGet, path: path, token: token, query: query})
}

func decode[T any](t testing.TB, resp events.APIGatewayProxyResponse) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("decode %d %s: %v", resp.StatusCode, resp.Body, err)
	}
	return v
}

func wantStatus(t testing.TB, resp events.APIGatewayProxyResponse, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if status >= 400 && resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("error without problem+json: %v", resp.Headers)
	}
	wantAPIHeaders(t, resp)
}

// wantAPIHeaders checks what every API answer, errors included, carries.
func wantAPIHeaders(t testing.TB, resp events.APIGatewayProxyResponse) {
	t.Helper()
	if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("%d answer: Cache-Control %q, X-Content-Type-Options %q; want no-store, nosniff",
			resp.StatusCode, resp.Headers["Cache-Control"], resp.Headers["X-Content-Type-Options"])
	}
}

// putAlert stores a, finished, as the ingest function would.
func (e *env) putAlert(a alert.Alert) alert.Alert {
	e.t.Helper()
	a.Finish("", now)
	item, err := dynamostore.EncodeAlert(&a, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(e.store.Table()), Item: item}); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// batchPut writes items 25 at a time.
func (e *env) batchPut(items []map[string]types.AttributeValue) {
	e.t.Helper()
	for i := 0; i < len(items); i += 25 {
		var reqs []types.WriteRequest
		for _, it := range items[i:min(i+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		in := map[string][]types.WriteRequest{e.store.Table(): reqs}
		for len(in) > 0 {
			out, err := e.db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: in})
			if err != nil {
				e.t.Fatal(err)
			}
			in = out.UnprocessedItems
		}
	}
}

// sampleAlert is an SSH brute force on web-prod-1.
func sampleAlert(sourceID string, at time.Time) alert.Alert {
	return alert.Alert{
		Provider: "guardduty", SourceID: sourceID, Type: "UnauthorizedAccess:EC2/SSHBruteForce",
		Name: "SSH brute force", Severity: alert.Medium, Tactics: []killchain.Stage{killchain.InitialAccess},
		Resources:        []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Type: "AwsEc2Instance", Name: "web-prod-1", Tags: map[string]string{"env": "prod"}}},
		Entities:         []alert.Entity{{Type: alert.EntityIP, Value: "203.0.113.66"}},
		RemediationSteps: []string{"Block 203.0.113.66"},
		FirstSeen:        at, LastSeen: at,
	}
}

// seedIncident stores an incident with the given alerts as members.
func (e *env) seedIncident(id string, alerts ...alert.Alert) incident.Incident {
	e.t.Helper()
	inc := incident.Incident{ID: id, Title: "Security incident detected on web-prod-1", Description: "An attack on web-prod-1.",
		Severity: alert.High, Status: incident.StatusActive, FirstActivity: now.Add(-2 * time.Hour), LastActivity: now.Add(-time.Hour),
		CreatedAt: now.Add(-2 * time.Hour), UpdatedAt: now.Add(-time.Hour),
		Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Type: "AwsEc2Instance", Name: "web-prod-1", Tags: map[string]string{"env": "prod"}}},
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.CommandAndControl}, Sources: []string{"guardduty"},
		AlertCount: len(alerts), Version: 1}
	var members []incident.Membership
	for i, a := range alerts {
		a.IncidentID = id
		stored := e.putAlert(a)
		m := incident.Membership{AlertID: stored.ID, Stage: killchain.InitialAccess, JoinedAt: stored.FirstSeen,
			Reason: "started the incident"}
		if i > 0 {
			m.Key, m.LinkedTo, m.Reason = "res:i-0a1b2c3d4e5f60718", members[0].AlertID, fmt.Sprintf("shares resource i-0a1b2c3d4e5f60718 with alert %d", 0)
		}
		members = append(members, m)
	}
	if err := e.store.SeedIncident(context.Background(), inc, members); err != nil {
		e.t.Fatal(err)
	}
	return inc
}

// conforms checks a response body against a component schema of the
// served OpenAPI document.
func (e *env) conforms(schema string, body string) {
	e.t.Helper()
	resp := e.get("/openapi.json", readToken, nil)
	var doc any
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		e.t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", doc); err != nil {
		e.t.Fatal(err)
	}
	sch, err := c.Compile("openapi.json#/components/schemas/" + schema)
	if err != nil {
		e.t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		e.t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		e.t.Errorf("response does not conform to %s: %v", schema, err)
	}
}
