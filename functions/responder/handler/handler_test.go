package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/incidentevent/eventschema"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/playbook"
)

// fakeBus is an EventBridge client that fails entries by event id: fail
// returns the error code for an event on a given call ("" accepts it).
type fakeBus struct {
	mu       sync.Mutex
	calls    int
	fail     func(call int, eventID string) string
	callErr  error // fails every call as a whole
	accepted []published
}

type published struct {
	DetailType string
	EventID    string
	Detail     []byte
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(in.Entries) > eventbus.MaxBatchEntries {
		return nil, fmt.Errorf("%d entries in one call", len(in.Entries))
	}
	if f.callErr != nil {
		return nil, f.callErr
	}
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		var d struct {
			EventID string `json:"eventId"`
		}
		_ = json.Unmarshal([]byte(*e.Detail), &d)
		code := ""
		if f.fail != nil {
			code = f.fail(f.calls, d.EventID)
		}
		if code != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("injected " + code)})
			continue
		}
		f.accepted = append(f.accepted, published{*e.DetailType, d.EventID, []byte(*e.Detail)})
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("eb-%d", len(f.accepted)))})
	}
	return out, nil
}

type letter struct {
	Seq    string
	Reason deadletter.Reason
}

type fakeDead struct {
	letters []letter
	err     error
}

func (d *fakeDead) Send(_ context.Context, rec events.DynamoDBEventRecord, r deadletter.Reason) error {
	if d.err != nil {
		return d.err
	}
	d.letters = append(d.letters, letter{rec.Change.SequenceNumber, r})
	return nil
}

type fakeIncidents struct {
	byID map[string]incident.Incident
	err  error
}

func (f fakeIncidents) GetIncident(_ context.Context, id string) (incident.Incident, error) {
	if f.err != nil {
		return incident.Incident{}, f.err
	}
	inc, ok := f.byID[id]
	if !ok {
		return incident.Incident{}, fmt.Errorf("incident %s: %w", id, incident.ErrNotFound)
	}
	return inc, nil
}

func noSleep(context.Context, time.Duration) error { return nil }

func newHandler(t testing.TB, bus *fakeBus, dead DeadLetter, incs fakeIncidents, log *bytes.Buffer) *Handler {
	t.Helper()
	if log == nil {
		log = &bytes.Buffer{}
	}
	pub := eventbus.New(bus, "muster", eventbus.Options{MaxAttempts: 4, Sleep: noSleep})
	return New(pub, incs, dead, Options{APIURL: "https://muster.example.com",
		Logger: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})).With("component", "responder")})
}

func seq(n int) string { return fmt.Sprintf("%021d", n) }

// mixedBatch is a batch with every kind of record. It returns the batch
// and the request on incident "a".
func mixedBatch(t testing.TB) ([]events.DynamoDBEventRecord, incident.Incident) {
	t.Helper()
	a := newIncident("a", alert.High, killchain.InitialAccess, killchain.Exfiltration)
	aGroup := a
	aGroup.Tactics = []killchain.Stage{killchain.InitialAccess}
	b1 := newIncident("b", alert.Medium, killchain.Discovery, killchain.Impact)
	b2 := next(b1, func(i *incident.Incident) { i.AlertCount = 3 })
	c1 := newIncident("c", alert.Critical, killchain.Discovery, killchain.Impact)
	c2 := next(c1, func(i *incident.Incident) { i.Status = incident.StatusResolved; i.UpdatedBy = "alice@example.com" })
	d1 := newIncident("d", alert.Low, killchain.Discovery, killchain.Execution)
	d2 := next(d1, func(i *incident.Incident) { i.Owner = "bob@example.com" })
	e1 := newIncident("e", alert.Low, killchain.Discovery, killchain.Execution)
	e2 := next(e1, nil)

	broken := incidentItem(t, e1, true, `{}`)
	broken["doc"] = &types.AttributeValueMemberS{Value: "{not json"}
	alertItem, err := dynamostore.EncodeAlert(&alert.Alert{ID: "al1", Provider: "generic", Severity: alert.High, Status: alert.StatusActive,
		FirstSeen: t0, LastSeen: t0}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	req := responseItem(t, incident.ResponseRequest{ID: "req1", IncidentID: "a", Playbook: playbook.IsolateInstance,
		Parameters: map[string]any{"instanceId": "i-0abc1234def567890"}, RequestedBy: "alice@example.com", RequestedAt: t0})
	recs := []events.DynamoDBEventRecord{
		record(t, 1, "INSERT", nil, incidentItem(t, aGroup, false, `{"n":1}`)),                                 // group: nothing
		record(t, 2, "MODIFY", incidentItem(t, aGroup, false, `{"n":1}`), incidentItem(t, a, true, `{"n":2}`)), // a Created
		record(t, 3, "MODIFY", incidentItem(t, b1, true, `{}`), incidentItem(t, b2, true, `{}`)),               // b Updated (throttled, then ok)
		record(t, 4, "MODIFY", incidentItem(t, c1, true, `{}`), incidentItem(t, c2, true, `{}`)),               // c Status Changed (malformed: DLQ)
		record(t, 5, "MODIFY", incidentItem(t, d1, true, `{}`), incidentItem(t, d2, true, `{}`)),               // d Updated (always failing: retry)
		record(t, 6, "MODIFY", incidentItem(t, e1, true, `{"x":1}`), incidentItem(t, e2, true, `{"x":2}`)),     // e private state only: nothing
		record(t, 7, "MODIFY", incidentItem(t, e1, true, `{}`), broken),                                        // undecodable: DLQ
		record(t, 8, "INSERT", nil, alertItem),                                                                 // not ours
		record(t, 9, "INSERT", nil, req),                                                                       // Response Requested
	}
	return recs, a
}

func TestHandleMixedBatch(t *testing.T) {
	recs, a := mixedBatch(t)
	bus := &fakeBus{fail: func(call int, id string) string {
		switch {
		case id == "b:v2" && call <= 2:
			return eventbus.CodeThrottling
		case id == "c:v2":
			return "MalformedDetail"
		case id == "d:v2":
			return eventbus.CodeInternalFailure
		}
		return ""
	}}
	dead := &fakeDead{}
	var logs bytes.Buffer
	h := newHandler(t, bus, dead, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, &logs)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	// BatchItemFailures name exactly the record still failing retryably.
	if want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq(5)}}; !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("BatchItemFailures %v, want %v", resp.BatchItemFailures, want)
	}
	// Published exactly once each.
	var got []string
	for _, p := range bus.accepted {
		got = append(got, p.DetailType+" "+p.EventID)
	}
	sort.Strings(got)
	want := []string{
		"Incident Created a:v1",
		"Incident Response Requested a:response:req1",
		"Incident Updated b:v2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	// Permanent failures are dead-lettered with their reason.
	var letters []string
	for _, l := range dead.letters {
		letters = append(letters, l.Seq[len(l.Seq)-1:]+" "+l.Reason.Code+" "+l.Reason.EventID)
	}
	if want := []string{"7 Undecodable ", "4 MalformedDetail c:v2"}; !reflect.DeepEqual(letters, want) {
		t.Errorf("dead letters %v, want %v", letters, want)
	}
	// None lost: every record that makes an event is published, dead-lettered or retried.
	if n := len(bus.accepted) + len(dead.letters) + len(resp.BatchItemFailures); n != 6 {
		t.Errorf("%d records accounted for, want 6", n)
	}
	v, err := eventschema.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bus.accepted {
		if err := v.Validate(p.DetailType, p.Detail); err != nil {
			t.Errorf("%s: %v", p.EventID, err)
		}
	}
	if !strings.Contains(logs.String(), `"component":"responder"`) || !strings.Contains(logs.String(), `"dead_lettered":2`) {
		t.Errorf("logs lack component or counts:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "i-0abc1234def567890") {
		t.Error("logs carry event details (playbook parameters)")
	}
}

func TestReplayPublishesTheSameEvents(t *testing.T) {
	recs, a := mixedBatch(t)
	bus := &fakeBus{}
	h := newHandler(t, bus, &fakeDead{}, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, nil)
	run := func() []published {
		bus.accepted = nil
		if _, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs}); err != nil {
			t.Fatal(err)
		}
		return bus.accepted
	}
	first, second := run(), run()
	if len(first) != 5 {
		t.Fatalf("%d events, want 5 (a, b, c, d, response; e none)", len(first))
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("replay published a different set:\n%v\n%v", first, second)
	}
}

func TestRetryOfFailedRecordRepublishesOnlyFromIt(t *testing.T) {
	// Lambda retries from the lowest failed record: the records before it
	// are done, the ones after it come again and republish the same ids.
	recs, a := mixedBatch(t)
	failing := true
	bus := &fakeBus{fail: func(_ int, id string) string {
		if id == "b:v2" && failing {
			return eventbus.CodeThrottling
		}
		return ""
	}}
	h := newHandler(t, bus, &fakeDead{}, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, nil)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != seq(3) {
		t.Fatalf("first delivery: %v %v", resp.BatchItemFailures, err)
	}
	firstIDs := ids(bus.accepted)
	failing = false
	bus.accepted = nil
	resp, err = h.Handle(context.Background(), events.DynamoDBEvent{Records: recs[2:]})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: %v %v", resp.BatchItemFailures, err)
	}
	all := append(firstIDs, ids(bus.accepted)...)
	distinct := map[string]int{}
	for _, id := range all {
		distinct[id]++
	}
	if len(distinct) != 5 || distinct["b:v2"] != 1 || distinct["a:v1"] != 1 {
		t.Errorf("ids across both deliveries %v", distinct)
	}
}

func ids(ps []published) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.EventID)
	}
	return out
}

func TestDeadLetterFailureRetriesTheRecord(t *testing.T) {
	recs, a := mixedBatch(t)
	bus := &fakeBus{fail: func(_ int, id string) string {
		if id == "c:v2" {
			return "MalformedDetail"
		}
		return ""
	}}
	h := newHandler(t, bus, &fakeDead{err: errors.New("queue unavailable")}, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, nil)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq(7)}, {ItemIdentifier: seq(4)}}
	if !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("BatchItemFailures %v, want %v", resp.BatchItemFailures, want)
	}
}

// callError is a whole PutEvents call failing with an API error code, as
// the SDK returns it.
func callError(code string, status int) error {
	return &smithy.OperationError{ServiceID: "EventBridge", OperationName: "PutEvents",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "injected " + code},
		}}}
}

func TestFailedCalls(t *testing.T) {
	// A call refused because the request is invalid dead-letters every
	// record with the reason and is not retried by Lambda. A call that
	// failed for a reason outside the request — throttled, a server error,
	// or the deployment's state (access denied, a missing bus, an unknown
	// credential) — names the records in BatchItemFailures, so the stream
	// retries them and they are published once the cause is gone.
	recs, a := mixedBatch(t)
	publishing := []string{seq(2), seq(3), seq(4), seq(5), seq(9)} // records that make an event
	tests := []struct {
		name      string
		err       error
		dead      bool
		apiCode   string
		retryRecs []string
	}{
		{"validation", callError("ValidationException", 400), true, "ValidationException", nil},
		{"access denied", callError("AccessDeniedException", 400), false, "AccessDeniedException", publishing},
		{"missing bus", callError("ResourceNotFoundException", 400), false, "ResourceNotFoundException", publishing},
		{"unknown credential", callError("UnrecognizedClientException", 400), false, "UnrecognizedClientException", publishing},
		{"throttled", callError("ThrottlingException", 400), false, "ThrottlingException", publishing},
		{"server error", callError("InternalException", 500), false, "InternalException", publishing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus, dead := &fakeBus{callErr: tt.err}, &fakeDead{}
			var logs bytes.Buffer
			h := newHandler(t, bus, dead, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, &logs)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
			if err != nil {
				t.Fatal(err)
			}
			var retried []string
			for _, f := range resp.BatchItemFailures {
				retried = append(retried, f.ItemIdentifier)
			}
			sort.Strings(retried)
			if !reflect.DeepEqual(retried, tt.retryRecs) {
				t.Errorf("BatchItemFailures %v, want %v", retried, tt.retryRecs)
			}
			var lettered []string
			for _, l := range dead.letters {
				if l.Seq == seq(7) { // the undecodable record, dead-lettered either way
					continue
				}
				lettered = append(lettered, l.Seq)
				if l.Reason.Code != eventbus.CodeRequestRejected || !strings.HasPrefix(l.Reason.Message, tt.apiCode+": ") ||
					l.Reason.EventID == "" || l.Reason.DetailType == "" {
					t.Errorf("letter %+v", l)
				}
			}
			sort.Strings(lettered)
			if want := map[bool][]string{true: publishing}[tt.dead]; !reflect.DeepEqual(lettered, want) {
				t.Errorf("dead-lettered %v, want %v", lettered, want)
			}
			if tt.dead && !strings.Contains(logs.String(), `"code":"RequestRejected","reason":"`+tt.apiCode+`: `) {
				t.Errorf("dead letters not logged with their reason:\n%s", logs.String())
			}
			if !tt.dead && !strings.Contains(logs.String(), `"code":"RequestFailed","reason":"`+tt.apiCode+`: `) {
				t.Errorf("retried records not logged with their reason:\n%s", logs.String())
			}
			if len(bus.accepted) != 0 {
				t.Errorf("%d published through a failing call", len(bus.accepted))
			}
		})
	}
}

func TestResponseRequests(t *testing.T) {
	a := newIncident("a", alert.High, killchain.InitialAccess, killchain.Exfiltration)
	req := incident.ResponseRequest{ID: "req1", IncidentID: "a", Playbook: playbook.NotifyOncall,
		Parameters: map[string]any{"urgency": "high"}, RequestedBy: "bot:chatops", RequestedAt: t0}
	other := req
	other.IncidentID, other.ID = "zz", "req2"
	tests := []struct {
		name     string
		incs     fakeIncidents
		req      incident.ResponseRequest
		event    string
		dead     string
		failures int
	}{
		{"published", fakeIncidents{byID: map[string]incident.Incident{"a": a}}, req, "a:response:req1", "", 0},
		{"unknown incident", fakeIncidents{}, other, "", CodeUnknownIncident, 0},
		{"read error retried", fakeIncidents{err: errors.New("throttled")}, req, "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus, dead := &fakeBus{}, &fakeDead{}
			h := newHandler(t, bus, dead, tt.incs, nil)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
				record(t, 1, "INSERT", nil, responseItem(t, tt.req)),
				record(t, 2, "MODIFY", responseItem(t, tt.req), responseItem(t, tt.req)), // not an insert: ignored
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(bus.accepted); fmt.Sprint(got) != fmt.Sprint(nonEmpty(tt.event)) {
				t.Errorf("published %v, want %v", got, nonEmpty(tt.event))
			}
			if tt.event != "" {
				var d incidentevent.Detail
				if err := json.Unmarshal(bus.accepted[0].Detail, &d); err != nil {
					t.Fatal(err)
				}
				if d.Playbook != playbook.NotifyOncall || d.Parameters["urgency"] != "high" || d.RequestedBy != "bot:chatops" ||
					d.Incident.ID != "a" || bus.accepted[0].DetailType != incidentevent.DetailTypeResponseRequested {
					t.Errorf("detail %+v", d)
				}
			}
			if (tt.dead == "") != (len(dead.letters) == 0) || (tt.dead != "" && dead.letters[0].Reason.Code != tt.dead) {
				t.Errorf("dead letters %+v, want %q", dead.letters, tt.dead)
			}
			if len(resp.BatchItemFailures) != tt.failures {
				t.Errorf("failures %v, want %d", resp.BatchItemFailures, tt.failures)
			}
		})
	}
}

// TestCommentEvents: a comment added to an incident is published as an
// Incident Updated of kind commentAdded, once per comment; a comment on an
// incident no longer visible publishes nothing.
func TestCommentEvents(t *testing.T) {
	a := newIncident("a", alert.High, killchain.InitialAccess, killchain.Exfiltration)
	c := incident.Comment{ID: "c1", At: t0, Author: "alice", Text: "isolating now"}
	item, err := dynamostore.EncodeComment("a", c)
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := dynamostore.EncodeComment("gone", c)
	if err != nil {
		t.Fatal(err)
	}
	bus, dead := &fakeBus{}, &fakeDead{}
	h := newHandler(t, bus, dead, fakeIncidents{byID: map[string]incident.Incident{"a": a}}, nil)
	_, err = h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record(t, 1, "INSERT", nil, item), record(t, 2, "INSERT", nil, orphan),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(bus.accepted); fmt.Sprint(got) != "[a:comment:c1]" {
		t.Fatalf("published %v", got)
	}
	var d incidentevent.Detail
	if err := json.Unmarshal(bus.accepted[0].Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.Change.Kind != incidentevent.KindCommentAdded || d.Change.By != "alice" || d.Comment == nil || d.Comment.Text != "isolating now" {
		t.Errorf("detail %+v", d)
	}
	if len(dead.letters) != 0 {
		t.Errorf("dead letters %+v", dead.letters)
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestMalformedBatch(t *testing.T) {
	h := newHandler(t, &fakeBus{}, &fakeDead{}, fakeIncidents{}, nil)
	_, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{EventName: "INSERT"}}})
	if err == nil {
		t.Fatal("a record without a sequence number must fail the batch")
	}
}

func TestFromEnv(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	tests := []struct {
		name    string
		env     map[string]string
		dead    string
		wantErr bool
	}{
		{"defaults", nil, "*deadletter.Log", false},
		{"file", map[string]string{EnvDeadLetterFile: "/tmp/x.jsonl"}, "*deadletter.File", false},
		{"queue wins", map[string]string{EnvDLQURL: "https://sqs.eu-west-1.amazonaws.com/1/dlq", EnvDeadLetterFile: "/tmp/x"}, "*deadletter.SQS", false},
		{"bad api url", map[string]string{"MUSTER_API_URL": "muster.example.com"}, "", true},
		{"bus by ARN", map[string]string{"MUSTER_BUS": "arn:aws:events:eu-west-1:123456789012:event-bus/muster-prod"}, "*deadletter.Log", false},
		{"malformed bus", map[string]string{"MUSTER_BUS": "muster bus"}, "", true},
		{"bus name too long", map[string]string{"MUSTER_BUS": strings.Repeat("b", 257)}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := FromEnv(context.Background(), cfg, func(k string) string { return tt.env[k] })
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", h.dead); got != tt.dead {
				t.Errorf("dead letter %s, want %s", got, tt.dead)
			}
			if h.build.APIURL != "http://127.0.0.1:8080" {
				t.Errorf("api url %q", h.build.APIURL)
			}
		})
	}
}

func TestFailuresMapToRecordsAcrossBatches(t *testing.T) {
	// 25 creations make three PutEvents calls; failures in the second and
	// third calls must name their own records.
	var recs []events.DynamoDBEventRecord
	for i := range 25 {
		inc := newIncident(fmt.Sprintf("i%02d", i), alert.High, killchain.Discovery, killchain.Impact)
		recs = append(recs, record(t, i+1, "INSERT", nil, incidentItem(t, inc, true, `{}`)))
	}
	bus := &fakeBus{fail: func(_ int, id string) string {
		switch id {
		case "i12:v1":
			return eventbus.CodeThrottling
		case "i21:v1":
			return "InvalidArgument"
		}
		return ""
	}}
	dead := &fakeDead{}
	h := newHandler(t, bus, dead, fakeIncidents{}, nil)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq(13)}}; !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Errorf("BatchItemFailures %v, want %v", resp.BatchItemFailures, want)
	}
	if len(dead.letters) != 1 || dead.letters[0].Seq != seq(22) || dead.letters[0].Reason.EventID != "i21:v1" {
		t.Errorf("dead letters %+v", dead.letters)
	}
	if len(bus.accepted) != 23 {
		t.Errorf("%d published, want 23", len(bus.accepted))
	}
}
