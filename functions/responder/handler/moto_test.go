package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/incidentevent/eventschema"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

// motoEnv is a table with its stream, a bus and the queues its rules feed.
type motoEnv struct {
	cfg       aws.Config
	db        *dynamodb.Client
	store     *dynamostore.Store
	table     string
	streamARN string
	bus       string
	queues    map[string]string // rule label → queue URL
}

func newMotoEnv(t *testing.T) *motoEnv {
	t.Helper()
	ctx := context.Background()
	cfg := mototest.Get(t).Config()
	e := &motoEnv{cfg: cfg, db: dynamodb.NewFromConfig(cfg), table: mototest.UniqueName("muster"),
		bus: mototest.UniqueName("bus"), queues: map[string]string{}}
	var err error
	if e.streamARN, err = dynamostore.CreateTable(ctx, e.db, e.table); err != nil {
		t.Fatal(err)
	}
	e.store = dynamostore.New(e.db, e.table, dynamostore.Options{})
	for label, pattern := range map[string]string{
		"all":     resources.LocalSinkRule.Pattern,
		"exfil":   resources.HighSeverityExfiltrationPattern,
		"notify":  incidentevent.NotifyPattern,
		"isolate": incidentevent.IsolateInstancePattern,
	} {
		name := mototest.UniqueName(label)
		r, err := eventbus.CreateBus(ctx, cfg, e.bus, resources.Rule{Name: name, Pattern: pattern}, name)
		if err != nil {
			t.Fatal(err)
		}
		e.queues[label] = r.QueueURL
	}
	return e
}

func (e *motoEnv) put(t *testing.T, inc incident.Incident, isIncident bool, group string) {
	t.Helper()
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(e.table), Item: incidentItem(t, inc, isIncident, group),
	}); err != nil {
		t.Fatal(err)
	}
}

// streamBatch reads every record of the table's stream, converts it as
// Lambda does and keeps those the responder's filters select.
func (e *motoEnv) streamBatch(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	recs := mototest.NewStream(t, e.cfg, e.streamARN).Records()
	return events.DynamoDBEvent{Records: mototest.Select(t, resources.Responder.Filters, recs)}
}

// received drains a queue and returns "<detail-type> <eventId>" per event,
// sorted, checking each detail against its schema.
func (e *motoEnv) received(t *testing.T, v *eventschema.Validator, label string) []string {
	t.Helper()
	ids, _ := e.receivedDetails(t, v, label)
	return ids
}

// receivedDetails is received with the decoded details by event id.
func (e *motoEnv) receivedDetails(t *testing.T, v *eventschema.Validator, label string) ([]string, map[string]incidentevent.Detail) {
	t.Helper()
	details := map[string]incidentevent.Detail{}
	msgs, err := eventbus.Drain(context.Background(), sqs.NewFromConfig(e.cfg), e.queues[label])
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var env struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(m, &env); err != nil {
			t.Fatal(err)
		}
		if env.Source != incidentevent.Source {
			t.Errorf("source %q", env.Source)
		}
		if err := v.Validate(env.DetailType, env.Detail); err != nil {
			t.Errorf("published event does not match its schema: %v", err)
		}
		var d incidentevent.Detail
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, env.DetailType+" "+d.EventID)
		details[d.EventID] = d
	}
	sort.Strings(out)
	return out, details
}

func TestEventsOnMoto(t *testing.T) {
	e := newMotoEnv(t)
	ctx := context.Background()
	v, err := eventschema.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}

	// Incident a is the correlator's own: alerts on one instance, stored
	// and correlated as the ingest and correlator functions do. It becomes
	// an incident, grows, is taken by a person through the store's update
	// path (as PATCH /incidents/{id} does), then the correlator escalates
	// it: that change is the correlator's, not the person's.
	now := t0.Add(time.Hour)
	engine, err := correlate.New(correlate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	corr := correlate.NewService(engine, e.store, correlate.ServiceOptions{
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	ingest := func(a alert.Alert) {
		t.Helper()
		put, err := e.store.PutAlert(ctx, &a)
		if err != nil {
			t.Fatal(err)
		}
		if r := corr.Correlate(ctx, []alert.Alert{put.Alert}); len(r.Failed) != 0 || r.Groups != 1 {
			t.Fatalf("correlate %s: %+v, want one group written", a.SourceID, r)
		}
	}
	onA := func(src string, sev alert.Severity, stage killchain.Stage, at time.Duration) alert.Alert {
		a := alert.Alert{Provider: alert.ProviderGeneric, SourceID: src, Type: "Test:" + src, Name: "Alert " + src,
			Severity: sev, Tactics: []killchain.Stage{stage}, FirstSeen: t0.Add(at),
			Resources: []alert.Resource{{ID: "i-0abc1234def567801", Type: "AwsEc2Instance", Name: "web-a"}}}
		a.Finish("", t0)
		return a
	}
	ingest(onA("a1", alert.Medium, killchain.InitialAccess, -50*time.Minute)) // v1: a group below the threshold: nothing
	ingest(onA("a2", alert.Medium, killchain.InitialAccess, -40*time.Minute)) // v2: still a group: nothing
	ingest(onA("a3", alert.High, killchain.Exfiltration, -30*time.Minute))    // v3: Created, at High
	aID := correlate.GroupIDFor(alert.ID(alert.ProviderGeneric, "a1"))
	again := onA("a1", alert.Medium, killchain.InitialAccess, -50*time.Minute)
	again.Count = 5
	ingest(again)                                                             // v4: a member's count, private state only: nothing
	ingest(onA("a4", alert.Medium, killchain.InitialAccess, -10*time.Minute)) // v5: Updated (alert count, last activity)
	if _, err := e.store.PatchIncident(ctx, aID, 5, func(i *incident.Incident) ([]incident.TimelineEntry, error) {
		i.Status, i.Owner = incident.StatusInProgress, "alice@example.com"
		i.UpdatedAt, i.UpdatedBy = now, "alice@example.com"
		return []incident.TimelineEntry{
			{At: now, Actor: "alice@example.com", Action: "status changed", From: "Active", To: "InProgress"},
			{At: now, Actor: "alice@example.com", Action: "owner changed", To: "alice@example.com"},
		}, nil
	}); err != nil { // v6: Status Changed (owner too), by alice
		t.Fatal(err)
	}
	ingest(onA("a5", alert.Critical, killchain.Exfiltration, 0)) // v7: Updated, escalated, by the correlator
	a7, err := e.store.GetIncident(ctx, aID)
	if err != nil {
		t.Fatal(err)
	}
	if a7.Version != 7 || a7.Severity != alert.Critical || a7.Owner != "alice@example.com" || a7.UpdatedBy != correlate.Actor {
		t.Fatalf("incident a after the correlator's last change: v%d %s owner %q updatedBy %q", a7.Version, a7.Severity, a7.Owner, a7.UpdatedBy)
	}
	av := func(v int) string { return fmt.Sprintf("%s:v%d", aID, v) }

	// b: Medium with Exfiltration, merged into a.
	b1 := newIncident("b", alert.Medium, killchain.Discovery, killchain.Exfiltration)
	e.put(t, b1, true, `{}`) // Created
	b2 := next(b1, func(i *incident.Incident) { i.MergedInto = aID })
	e.put(t, b2, true, `{}`) // Updated

	// c: Critical without Exfiltration, resolved.
	c1 := newIncident("c", alert.Critical, killchain.Discovery, killchain.Impact)
	e.put(t, c1, true, `{}`) // Created
	c2 := next(c1, func(i *incident.Incident) { i.Status, i.UpdatedBy = incident.StatusResolved, "bob@example.com" })
	e.put(t, c2, true, `{}`) // Status Changed

	// Response requests, recorded as POST /incidents/{id}/respond records them.
	for _, r := range []incident.ResponseRequest{
		{ID: "req1", IncidentID: aID, Playbook: playbook.IsolateInstance,
			Parameters: map[string]any{"instanceId": "i-0abc1234def567890"}, RequestedBy: "alice@example.com", RequestedAt: t0},
		{ID: "req2", IncidentID: "c", Playbook: playbook.NotifyOncall,
			Parameters: map[string]any{"urgency": "low"}, RequestedBy: "bot:chatops", RequestedAt: t0},
	} {
		if _, err := e.store.AddResponseRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	batch := e.streamBatch(t)
	if len(batch.Records) != 13 {
		var got []string
		for _, r := range batch.Records {
			got = append(got, r.EventName+" "+r.Change.Keys["pk"].String()+" "+r.Change.Keys["sk"].String())
		}
		t.Fatalf("%d stream records selected by the responder filters, want 13 (11 incident writes, 2 requests): %v", len(batch.Records), got)
	}
	deadPath := filepath.Join(t.TempDir(), "dead.jsonl")
	dead := deadletter.NewFile(deadPath, resources.Responder.Name)
	pub := eventbus.New(eventbridge.NewFromConfig(e.cfg), e.bus, eventbus.Options{})
	h := New(pub, e.store, dead, Options{APIURL: "http://127.0.0.1:8080", Logger: slog.New(slog.DiscardHandler)})

	wantAll := []string{
		"Incident Created " + av(3),
		"Incident Created b:v1",
		"Incident Created c:v1",
		"Incident Response Requested " + aID + ":response:req1",
		"Incident Response Requested c:response:req2",
		"Incident Status Changed " + av(6),
		"Incident Status Changed c:v2",
		"Incident Updated " + av(5),
		"Incident Updated " + av(7),
		"Incident Updated b:v2",
	}
	wantRoutes := map[string][]string{
		"all": wantAll,
		// High or Critical with Exfiltration: a from its creation; never b
		// (Medium) or c (no Exfiltration).
		"exfil": {
			"Incident Created " + av(3),
			"Incident Response Requested " + aID + ":response:req1",
			"Incident Status Changed " + av(6),
			"Incident Updated " + av(5),
			"Incident Updated " + av(7),
		},
		// Created at, or escalated to, High or Critical.
		"notify": {
			"Incident Created " + av(3), // a became an incident at High
			"Incident Created c:v1",
			"Incident Updated " + av(7), // High → Critical
		},
		"isolate": {"Incident Response Requested " + aID + ":response:req1"},
	}
	for _, want := range wantRoutes {
		sort.Strings(want)
	}
	// change.by: who made each change of a.
	wantBy := map[string]string{
		av(3): correlate.Actor,
		av(5): correlate.Actor,
		av(6): "alice@example.com",
		av(7): correlate.Actor,
	}
	for round := 1; round <= 2; round++ { // the second round replays the same batch
		resp, err := h.Handle(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("round %d: failures %v", round, resp.BatchItemFailures)
		}
		for label, want := range wantRoutes {
			got, details := e.receivedDetails(t, v, label)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, %s queue:\n got %v\nwant %v", round, label, got, want)
			}
			if label == "all" {
				for id, by := range wantBy {
					if d, ok := details[id]; !ok || d.Change.By != by {
						t.Errorf("round %d: %s change.by = %q, want %q", round, id, d.Change.By, by)
					}
				}
			}
			if label != "isolate" {
				continue
			}
			// The request recorded through the store is published with its
			// playbook, parameters and requester, on the incident as it is now.
			d := details[aID+":response:req1"]
			if d.Playbook != playbook.IsolateInstance || d.Parameters["instanceId"] != "i-0abc1234def567890" ||
				d.RequestedBy != "alice@example.com" || d.Incident.Version != a7.Version || d.Incident.Severity != "Critical" {
				t.Errorf("round %d: response detail %+v", round, d)
			}
		}
	}
	if _, err := os.Stat(deadPath); err == nil {
		t.Error("something was dead-lettered")
	}
}

func TestMalformedDetailOnMotoIsDeadLettered(t *testing.T) {
	// moto rejects an entry whose detail is not a JSON object with
	// MalformedDetail, a permanent failure: the record goes to the dead
	// letter file and is not retried.
	e := newMotoEnv(t)
	ctx := context.Background()
	e.put(t, newIncident("m", alert.High, killchain.Discovery, killchain.Impact), true, `{}`)
	batch := e.streamBatch(t)
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	pub := &corrupting{inner: eventbus.New(eventbridge.NewFromConfig(e.cfg), e.bus, eventbus.Options{})}
	h := New(pub, e.store, deadletter.NewFile(path, resources.Responder.Name), Options{Logger: slog.New(slog.DiscardHandler)})
	resp, err := h.Handle(ctx, batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l deadletter.Letter
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if l.Reason.Code != "MalformedDetail" || l.Reason.EventID != "m:v1" || l.Record.Change.SequenceNumber != batch.Records[0].Change.SequenceNumber {
		t.Errorf("letter %+v", l.Reason)
	}
	if got := len(e.received(t, nil, "all")); got != 0 {
		t.Errorf("%d events delivered", got)
	}
}

func TestMissingBusOnMotoIsRetried(t *testing.T) {
	// PutEvents to a bus that does not exist fails the whole call with
	// ResourceNotFoundException (moto answers as EventBridge does). That is
	// the deployment's fault, not the records': each is named in
	// BatchItemFailures for the stream to retry, and none is dead-lettered.
	// Once the bus exists, the retried batch publishes every event.
	e := newMotoEnv(t)
	ctx := context.Background()
	e.put(t, newIncident("m", alert.High, killchain.Discovery, killchain.Impact), true, `{}`)
	e.put(t, newIncident("n", alert.Critical, killchain.Discovery, killchain.Impact), true, `{}`)
	batch := e.streamBatch(t)
	if len(batch.Records) != 2 {
		t.Fatalf("%d records, want 2", len(batch.Records))
	}
	q := sqs.NewFromConfig(e.cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(mototest.UniqueName("responder-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	bus := mototest.UniqueName("late-bus")
	pub := eventbus.New(eventbridge.NewFromConfig(e.cfg), bus, eventbus.Options{Sleep: noSleep})
	h := New(pub, e.store, deadletter.NewSQS(q, *dlq.QueueUrl, resources.Responder.Name), Options{Logger: slog.New(slog.DiscardHandler)})
	resp, err := h.Handle(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	var retried []string
	for _, f := range resp.BatchItemFailures {
		retried = append(retried, f.ItemIdentifier)
	}
	want := []string{batch.Records[0].Change.SequenceNumber, batch.Records[1].Change.SequenceNumber}
	sort.Strings(retried)
	sort.Strings(want)
	if !reflect.DeepEqual(retried, want) {
		t.Fatalf("BatchItemFailures %v, want both records %v", retried, want)
	}
	if msgs, err := eventbus.Drain(ctx, q, *dlq.QueueUrl); err != nil || len(msgs) != 0 {
		t.Fatalf("%d dead letters (%v), want none", len(msgs), err)
	}

	// The operator creates the bus; Lambda retries the batch.
	name := mototest.UniqueName("sink")
	route, err := eventbus.CreateBus(ctx, e.cfg, bus, resources.Rule{Name: name, Pattern: resources.LocalSinkRule.Pattern}, name)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = h.Handle(ctx, batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: resp %v err %v, want every record published", resp, err)
	}
	msgs, err := eventbus.Drain(ctx, q, route.QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range msgs {
		var env struct {
			Detail incidentevent.Detail `json:"detail"`
		}
		if err := json.Unmarshal(m, &env); err != nil {
			t.Fatal(err)
		}
		got[env.Detail.EventID] = true
	}
	if len(msgs) != 2 || !got["m:v1"] || !got["n:v1"] {
		t.Errorf("%d events %v, want m:v1 and n:v1", len(msgs), got)
	}
	if msgs, err := eventbus.Drain(ctx, q, *dlq.QueueUrl); err != nil || len(msgs) != 0 {
		t.Errorf("%d dead letters (%v), want none", len(msgs), err)
	}
}

func TestInvalidCallOnMotoIsDeadLettered(t *testing.T) {
	// A PutEvents call the service refuses as invalid (ValidationException)
	// is the request's fault: each record goes, whole, to the SQS
	// dead-letter queue with the reason, and none is named for Lambda to
	// retry.
	e := newMotoEnv(t)
	ctx := context.Background()
	e.put(t, newIncident("m", alert.High, killchain.Discovery, killchain.Impact), true, `{}`)
	e.put(t, newIncident("n", alert.Critical, killchain.Discovery, killchain.Impact), true, `{}`)
	batch := e.streamBatch(t)
	q := sqs.NewFromConfig(e.cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(mototest.UniqueName("responder-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	pub := eventbus.New(&fakeBus{callErr: callError("ValidationException", 400)}, e.bus, eventbus.Options{Sleep: noSleep})
	h := New(pub, e.store, deadletter.NewSQS(q, *dlq.QueueUrl, resources.Responder.Name), Options{Logger: slog.New(slog.DiscardHandler)})
	resp, err := h.Handle(ctx, batch)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %v err %v, want no retries", resp, err)
	}
	msgs, err := eventbus.Drain(ctx, q, *dlq.QueueUrl)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(batch.Records) || len(msgs) != 2 {
		t.Fatalf("%d letters for %d records, want 2", len(msgs), len(batch.Records))
	}
	got := map[string]bool{}
	for _, m := range msgs {
		var l deadletter.Letter
		if err := json.Unmarshal(m, &l); err != nil {
			t.Fatal(err)
		}
		if l.Reason.Code != eventbus.CodeRequestRejected || !strings.HasPrefix(l.Reason.Message, "ValidationException: ") ||
			l.Record.Change.NewImage == nil || l.ImagesDropped {
			t.Errorf("letter %+v (images dropped %v)", l.Reason, l.ImagesDropped)
		}
		got[l.Reason.EventID] = true
	}
	if !got["m:v1"] || !got["n:v1"] {
		t.Errorf("letters for %v, want m:v1 and n:v1", got)
	}
	if n := len(e.received(t, nil, "all")); n != 0 {
		t.Errorf("%d events delivered", n)
	}
}

// corrupting replaces each detail with invalid JSON before publishing.
type corrupting struct{ inner *eventbus.Publisher }

func (c *corrupting) Publish(ctx context.Context, entries []eventbus.Entry) []eventbus.Failure {
	out := make([]eventbus.Entry, len(entries))
	for i, e := range entries {
		e.Detail = []byte(fmt.Sprintf("not json %d", i))
		out[i] = e
	}
	return c.inner.Publish(ctx, out)
}
