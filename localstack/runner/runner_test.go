package runner_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/muster-sec/muster/localstack/apigwlocal"
	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func readJSONL(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

func waitUntil(t *testing.T, within time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		reason := cond()
		if reason == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %s: %s", within, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunnerWiring runs the runner with stand-in functions that do what
// the real ones do at the storage level (ingest writes an alert item, the
// correlator an incident item, the responder publishes an event), so the
// wiring — API Gateway conversion, stream filters per consumer, the
// events sink and dead letters — is checked independently of the real
// handlers.
func TestRunnerWiring(t *testing.T) {
	srv := mototest.Get(t)
	cfg := srv.Config()
	table, bus := mototest.UniqueName("tbl"), mototest.UniqueName("bus")
	db := dynamodb.NewFromConfig(cfg)
	eb := eventbridge.NewFromConfig(cfg)
	put := func(ctx context.Context, pk, sk string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "sk": &ddbtypes.AttributeValueMemberS{Value: sk},
		}})
		return err
	}

	var mu sync.Mutex
	seen := map[string][]string{} // consumer → pks
	var gotReq events.APIGatewayProxyRequest
	ingest := apigwlocal.HandlerFunc(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		mu.Lock()
		gotReq = req
		mu.Unlock()
		if err := put(ctx, "ALERT#"+req.Body, "ALERT"); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		return events.APIGatewayProxyResponse{StatusCode: 202, Body: `{"accepted":1}`}, nil
	})
	query := apigwlocal.HandlerFunc(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"items":[]}`}, nil
	})
	correlator := streampoller.HandlerFunc(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		for _, r := range ev.Records {
			pk := r.Change.Keys["pk"].String()
			mu.Lock()
			seen["correlator"] = append(seen["correlator"], pk)
			mu.Unlock()
			if pk == "ALERT#poison" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				continue
			}
			if err := put(ctx, "INCIDENT#"+strings.TrimPrefix(pk, "ALERT#"), "INCIDENT"); err != nil {
				return resp, err
			}
		}
		return resp, nil
	})
	responder := streampoller.HandlerFunc(func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range ev.Records {
			pk := r.Change.Keys["pk"].String()
			mu.Lock()
			seen["responder"] = append(seen["responder"], pk)
			mu.Unlock()
			_, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
				EventBusName: aws.String(bus), Source: aws.String(resources.EventSource), DetailType: aws.String("Incident Created"),
				Detail: aws.String(fmt.Sprintf(`{"version":"1","incident":{"id":%q}}`, strings.TrimPrefix(pk, "INCIDENT#"))),
			}}})
			if err != nil {
				return events.DynamoDBEventResponse{}, err
			}
		}
		return events.DynamoDBEventResponse{}, nil
	})

	dir := filepath.Join(t.TempDir(), ".muster")
	const budget = 3 // the consumers' own budgets are hours long
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := runner.Start(ctx, runner.Options{
		Endpoint: srv.Endpoint, Addr: "127.0.0.1:0", Dir: dir, Table: table, Bus: bus, Queue: mototest.UniqueName("q"),
		Ingest: ingest, Query: query, Correlator: correlator, Responder: responder,
		Env: map[string]string{"MUSTER_CORRELATION_WINDOW": "1h"}, MaxRetryAttempts: budget,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// The handlers' environment.
	for k, want := range map[string]string{
		"MUSTER_TABLE": table, "MUSTER_BUS": bus, "AWS_ENDPOINT_URL": srv.Endpoint, "MUSTER_API_URL": r.URL(),
		"MUSTER_CORRELATION_WINDOW": "1h", "AWS_REGION": runner.Region,
		"MUSTER_DEAD_LETTER_FILE": filepath.Join(dir, "dead-letter", "responder-events.jsonl"),
	} {
		if got := r.Getenv(k); got != want {
			t.Errorf("handler env %s = %q, want %q", k, got, want)
		}
	}
	if len(r.Getenv("MUSTER_DEV_TOKEN")) < 32 || r.Getenv("MUSTER_DEV_TOKEN") != r.Token() {
		t.Errorf("generated token %q is too short or not passed to the handlers", r.Getenv("MUSTER_DEV_TOKEN"))
	}
	if os.Getenv("MUSTER_TABLE") == table {
		t.Error("the runner changed the process environment")
	}

	for _, id := range []string{"a1", "poison", "a2"} {
		resp, err := http.Post(r.URL()+"/webhooks/generic?x=1&x=2", "application/json", strings.NewReader(id))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("POST: %d", resp.StatusCode)
		}
	}
	mu.Lock()
	if gotReq.PathParameters["provider"] != "generic" || len(gotReq.MultiValueQueryStringParameters["x"]) != 2 || gotReq.RequestContext.Stage != "local" {
		t.Errorf("request = %+v", gotReq)
	}
	mu.Unlock()
	resp, err := http.Get(r.URL() + "/incidents")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /incidents: %d", resp.StatusCode)
	}

	waitUntil(t, 30*time.Second, func() string {
		evs := readJSONL(t, r.EventsFile())
		ids := map[string]bool{}
		for _, e := range evs {
			if e["source"] == resources.EventSource && e["detail-type"] == "Incident Created" {
				ids[e["detail"].(map[string]any)["incident"].(map[string]any)["id"].(string)] = true
			}
		}
		if !ids["a1"] || !ids["a2"] {
			return fmt.Sprintf("events: %v", evs)
		}
		return ""
	})
	// The poison record is retried budget times, then dead-lettered.
	deadFile := filepath.Join(r.DeadLetterDir(), resources.Correlator.Name+".jsonl")
	waitUntil(t, 60*time.Second, func() string {
		dead := readJSONL(t, deadFile)
		if len(dead) != 1 {
			return fmt.Sprintf("%d dead letters", len(dead))
		}
		return ""
	})
	dead := readJSONL(t, deadFile)[0]
	keys := dead["record"].(map[string]any)["dynamodb"].(map[string]any)["Keys"].(map[string]any)
	if keys["pk"].(map[string]any)["S"] != "ALERT#poison" || dead["reason"] != streampoller.ReasonItemFailure ||
		int(dead["attempts"].(float64)) != budget+1 {
		t.Errorf("dead letter = %v", dead)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, pk := range seen["correlator"] {
		if !strings.HasPrefix(pk, "ALERT#") {
			t.Errorf("correlator got %s", pk)
		}
	}
	for _, pk := range seen["responder"] {
		if !strings.HasPrefix(pk, "INCIDENT#") {
			t.Errorf("responder got %s", pk)
		}
	}
	if n := count(seen["correlator"], "ALERT#poison"); n != budget+1 {
		t.Errorf("poison delivered %d times, want %d", n, budget+1)
	}
	if n := count(seen["correlator"], "ALERT#a1"); n != 1 {
		t.Errorf("a1 delivered %d times, want once", n)
	}
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// TestMotoRestartKeepsState: with a memory limit moto is always over, the
// runner restarts moto from a snapshot at an idle moment; the incident is
// still there, and the pipeline works on the new moto.
func TestMotoRestartKeepsState(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server not installed")
	}
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := runner.Start(ctx, runner.Options{MotoPort: port, Addr: "127.0.0.1:0", Dir: filepath.Join(t.TempDir(), ".muster"),
		Token: "t", MotoMaxMB: 1, SnapshotEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	firstPid := r.MotoPid()
	post := func(name string) {
		t.Helper()
		at := time.Now().UTC().Format(time.RFC3339)
		body := fmt.Sprintf(`[{"id":"%[1]s-1","type":"A","severity":"High","tactics":["InitialAccess"],"resources":[{"id":"i-%[1]s"}],"firstSeen":%[2]q},
			{"id":"%[1]s-2","type":"B","severity":"High","tactics":["Exfiltration"],"resources":[{"id":"i-%[1]s"}],"firstSeen":%[2]q}]`, name, at)
		req, _ := http.NewRequest(http.MethodPost, r.URL()+"/webhooks/generic", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	incidents := func() string {
		req, _ := http.NewRequest(http.MethodGet, r.URL()+"/incidents", nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post("before")
	waitUntil(t, time.Minute, func() string {
		if r.MotoRestarts() == 0 || !strings.Contains(incidents(), "i-before") {
			return fmt.Sprintf("restarts %d, incidents %s", r.MotoRestarts(), incidents())
		}
		return ""
	})
	if r.MotoPid() == firstPid {
		t.Fatal("moto's pid did not change")
	}
	post("after")
	waitUntil(t, time.Minute, func() string {
		if list := incidents(); !strings.Contains(list, "i-before") || !strings.Contains(list, "i-after") {
			return "incidents: " + list
		}
		return ""
	})
}
