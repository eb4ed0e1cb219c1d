// Package handler is the responder function: a consumer of the table's
// stream that publishes incident events to EventBridge.
//
// It is a transactional outbox: events come only from committed stream
// records (incident items inserted or modified, response requests
// inserted or reported on; see resources.Responder for the filters), so an event is
// published if and only if its change was committed. For each record it
// decides the event with incidentevent, publishes the batch's events
// together through eventbus, and answers:
//
//   - published, or nothing to publish: done;
//   - failed retryably (throttling, internal failure, a PutEvents call that
//     failed for a reason outside the request — throttled, 5xx, timed out,
//     a network error, or the deployment's state: access denied, an
//     unknown credential, a missing bus — or a read error): named in
//     BatchItemFailures, so Lambda retries from the lowest such record and
//     the event is published once the cause is gone — provided that
//     happens within the mapping's retries (resources.Responder); past
//     them Lambda sends only the batch's metadata to its on-failure queue.
//     Records after it that were published are published again on that
//     retry, with the same event ids (consumers de-duplicate on
//     detail.eventId);
//   - failed permanently (an undecodable image, an event EventBridge
//     rejects, a PutEvents call refused because the request is invalid —
//     validation, serialisation — or a response request for an unknown
//     incident): logged with the reason and sent to the dead-letter path
//     with the whole record, never silently dropped and never left to
//     Lambda's retries (its on-failure queue would get only batch metadata,
//     and the record would be gone once the stream's 24 h retention
//     passed). If the dead-letter send itself fails, the record is named in
//     BatchItemFailures instead.
//
// It also runs the automation rules (automate.go; docs/automation.md) on
// each incident change that publishes an event, before publishing: a rule
// run is stored once per change, so a replayed batch applies nothing twice,
// and a failed rule read or write retries the record like a failed publish.
//
// Replaying a batch republishes the same set of events with the same ids
// (incident events are a pure function of the record's images; a response
// event re-reads the incident, so its summary reflects the incident at
// publish time, with the same id).
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
)

// Publisher publishes entries and returns those not published
// (eventbus.Publisher).
type Publisher interface {
	Publish(ctx context.Context, entries []eventbus.Entry) []eventbus.Failure
}

// Incidents reads the visible incident a response request is about
// (dynamostore.Store); a missing one is incident.ErrNotFound.
type Incidents interface {
	GetIncident(ctx context.Context, id string) (incident.Incident, error)
}

var (
	_ Publisher = (*eventbus.Publisher)(nil)
	_ Incidents = (*dynamostore.Store)(nil)
)

// Reason codes set by the handler; others are EventBridge's entry codes.
const (
	CodeUndecodable     = "Undecodable"
	CodeUnknownIncident = "UnknownIncident"
)

// DeadLetter keeps records whose events can never be published. Send must
// not return nil unless the record is durably kept.
type DeadLetter interface {
	Send(ctx context.Context, record events.DynamoDBEventRecord, reason deadletter.Reason) error
}

// Counters keeps the daily metric counters (dynamostore.Store): AddMetrics
// adds d to day's counters once per marker; AlertDetections names the
// detections (provider and type) of alerts, at most 100 of them.
type Counters interface {
	AddMetrics(ctx context.Context, day, marker string, d metrics.Delta) error
	AlertDetections(ctx context.Context, ids []string) (map[string]string, error)
}

// Options tune a Handler. The zero value is usable.
type Options struct {
	// Metrics, when set, receives each incident change's counter delta
	// (metrics.ForChange) before its event is published; a failed write
	// retries the record, and the change's marker keeps a replay from
	// counting twice.
	Metrics Counters
	// APIURL is the base of the links in events (MUSTER_API_URL).
	APIURL string
	// Logger receives the handler's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Automation holds the automation rules; nil runs none.
	Automation Automation
	// Playbooks are those rules may run; playbook.Default() when nil.
	Playbooks *playbook.Registry
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Handler consumes stream batches.
type Handler struct {
	pub        Publisher
	incidents  Incidents
	dead       DeadLetter
	build      incidentevent.Builder
	metrics    Counters
	log        *slog.Logger
	automation Automation
	evaluator  automation.Evaluator
	now        func() time.Time
}

// New returns a handler publishing with pub, reading incidents for response
// requests from incidents, and dead-lettering to dead.
func New(pub Publisher, incidents Incidents, dead DeadLetter, opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Handler{pub: pub, incidents: incidents, dead: dead,
		build: incidentevent.Builder{APIURL: opts.APIURL}, metrics: opts.Metrics, log: log,
		automation: opts.Automation, evaluator: automation.Evaluator{Playbooks: opts.Playbooks}, now: now}
}

// busNameRE is what EventBridge takes as an EventBusName: a name
// ([/\.\-_A-Za-z0-9]{1,256}) or a bus ARN.
var busNameRE = regexp.MustCompile(`^(?:[/.\-_A-Za-z0-9]{1,256}|arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/[/.\-_A-Za-z0-9]{1,256})$`)

// Environment variables read by FromEnv (besides MUSTER_TABLE, MUSTER_BUS
// and MUSTER_API_URL).
const (
	EnvDLQURL         = "MUSTER_RESPONDER_DLQ_URL"
	EnvDeadLetterFile = "MUSTER_DEAD_LETTER_FILE"
)

// FromEnv wires the handler's adapters from the environment: MUSTER_TABLE
// (default "muster"), MUSTER_BUS (default "muster"), MUSTER_API_URL
// (default http://127.0.0.1:8080), and the dead-letter path:
// MUSTER_RESPONDER_DLQ_URL (an SQS queue URL), else MUSTER_DEAD_LETTER_FILE
// (a JSON Lines file), else the log (each record logged at error level).
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	table := resources.TableFromEnv(getenv)
	bus := envOr(getenv, "MUSTER_BUS", resources.DefaultBusName)
	// A malformed bus name would make every PutEvents call a
	// ValidationException, which dead-letters: refuse it at start instead.
	if !busNameRE.MatchString(bus) {
		return nil, fmt.Errorf("MUSTER_BUS %q: want an event bus name (letters, digits and . - _ /) or its ARN", bus)
	}
	apiURL := envOr(getenv, "MUSTER_API_URL", incidentevent.DefaultAPIURL)
	if !strings.HasPrefix(apiURL, "http://") && !strings.HasPrefix(apiURL, "https://") {
		return nil, fmt.Errorf("MUSTER_API_URL %q: want an http(s) URL", apiURL)
	}
	log := slog.Default().With("consumer", resources.Responder.Name)
	var dead DeadLetter
	switch {
	case getenv(EnvDLQURL) != "":
		dead = deadletter.NewSQS(sqs.NewFromConfig(cfg), getenv(EnvDLQURL), resources.Responder.Name)
	case getenv(EnvDeadLetterFile) != "":
		dead = deadletter.NewFile(getenv(EnvDeadLetterFile), resources.Responder.Name)
	default:
		log.Warn("no dead-letter queue or file configured; permanent failures are kept in the log only",
			"set", EnvDLQURL+" or "+EnvDeadLetterFile)
		dead = deadletter.NewLog(log, resources.Responder.Name)
	}
	playbooks, err := playbook.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), table, dynamostore.Options{})
	pub := eventbus.New(eventbridge.NewFromConfig(cfg), bus, eventbus.Options{})
	return New(pub, store, dead, Options{APIURL: apiURL, Logger: log, Automation: store, Playbooks: playbooks, Metrics: store}), nil
}

func envOr(getenv func(string) string, k, def string) string {
	if v := strings.TrimSpace(getenv(k)); v != "" {
		return v
	}
	return def
}

// errRetry marks a decision error worth retrying (a failed read).
var errRetry = errors.New("retryable")

// permanentError is a record that can never become an event.
type permanentError struct{ reason deadletter.Reason }

func (e *permanentError) Error() string { return e.reason.Code + ": " + e.reason.Message }

type pending struct {
	rec events.DynamoDBEventRecord
	ev  incidentevent.Event
	// change is set for an incident change that may fire automation rules.
	change *change
}

// Handle processes one stream batch and names the records that failed
// retryably in BatchItemFailures. It returns an error only when the batch
// is malformed (a record without a sequence number), which retries the
// whole batch.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var (
		resp       events.DynamoDBEventResponse
		toPublish  []pending
		rules      rulesCache
		retried    = map[string]bool{}
		deadCount  int
		skipped    int
		failRecord = func(rec events.DynamoDBEventRecord) {
			seq := rec.Change.SequenceNumber
			if !retried[seq] {
				retried[seq] = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			}
		}
		dead = func(rec events.DynamoDBEventRecord, r deadletter.Reason) {
			h.log.Error("event cannot be published; dead-lettering the record",
				"sequence_number", rec.Change.SequenceNumber, "code", r.Code, "reason", r.Message,
				"event_id", r.EventID, "detail_type", r.DetailType)
			if err := h.dead.Send(ctx, rec, r); err != nil {
				h.log.Error("dead-letter send failed; the record will be retried",
					"sequence_number", rec.Change.SequenceNumber, "error", err)
				failRecord(rec)
				return
			}
			deadCount++
		}
	)
	for _, rec := range ev.Records {
		if rec.Change.SequenceNumber == "" {
			return events.DynamoDBEventResponse{}, fmt.Errorf("stream record %s has no sequence number", rec.EventID)
		}
		p, ok, err := h.decide(ctx, rec)
		if err == nil && ok && p.change != nil {
			err = h.automate(ctx, *p.change, &rules)
		}
		var perm *permanentError
		switch {
		case errors.As(err, &perm):
			dead(rec, perm.reason)
			continue
		case err != nil:
			h.log.Warn("record will be retried", "sequence_number", rec.Change.SequenceNumber, "error", err)
			failRecord(rec)
			continue
		case !ok:
			skipped++
			continue
		}
		toPublish = append(toPublish, p)
	}

	entries := make([]eventbus.Entry, 0, len(toPublish))
	index := make([]int, 0, len(toPublish)) // entry → toPublish
	for i, p := range toPublish {
		detail, err := p.ev.DetailJSON()
		if err != nil {
			dead(p.rec, deadletter.Reason{Code: eventbus.CodeTooLarge, Message: err.Error(), EventID: p.ev.ID(), DetailType: p.ev.DetailType})
			continue
		}
		entries = append(entries, eventbus.Entry{
			Source: incidentevent.Source, DetailType: p.ev.DetailType, Detail: detail, Time: p.ev.Time,
		})
		index = append(index, i)
	}
	failed := map[int]bool{}
	if len(entries) > 0 {
		for _, f := range h.pub.Publish(ctx, entries) {
			p := toPublish[index[f.Index]]
			failed[f.Index] = true
			if f.Retryable {
				h.log.Warn("event not published; the record will be retried", "sequence_number", p.rec.Change.SequenceNumber,
					"event_id", p.ev.ID(), "detail_type", p.ev.DetailType, "code", f.Code, "reason", f.Message)
				failRecord(p.rec)
				continue
			}
			dead(p.rec, deadletter.Reason{Code: f.Code, Message: f.Message, EventID: p.ev.ID(), DetailType: p.ev.DetailType})
		}
	}
	published := 0
	for k, i := range index {
		if !failed[k] {
			published++
			p := toPublish[i]
			h.log.Debug("event published", "event_id", p.ev.ID(), "detail_type", p.ev.DetailType,
				"sequence_number", p.rec.Change.SequenceNumber)
		}
	}
	h.log.Info("stream batch processed", "records", len(ev.Records), "published", published,
		"skipped", skipped, "retry", len(resp.BatchItemFailures), "dead_lettered", deadCount)
	return resp, nil
}

// decide returns the event for one record (with the change automation
// rules run on, for an incident change), false when it publishes nothing,
// an error wrapping errRetry to retry it, or a *permanentError.
func (h *Handler) decide(ctx context.Context, rec events.DynamoDBEventRecord) (pending, bool, error) {
	pk, sk := keyString(rec.Change.Keys, resources.AttrPK), keyString(rec.Change.Keys, resources.AttrSK)
	if !strings.HasPrefix(pk, resources.PrefixIncident) {
		return pending{}, false, nil
	}
	switch {
	case sk == resources.SKIncident && (rec.EventName == "INSERT" || rec.EventName == "MODIFY"):
		return h.incidentChange(ctx, rec)
	case strings.HasPrefix(sk, resources.SKResponse) && rec.EventName == "INSERT":
		e, ok, err := h.responseRequest(ctx, rec, strings.TrimPrefix(pk, resources.PrefixIncident))
		return pending{rec: rec, ev: e}, ok, err
	case strings.HasPrefix(sk, resources.SKResponse) && rec.EventName == "MODIFY":
		e, ok, err := h.responseReport(ctx, rec, strings.TrimPrefix(pk, resources.PrefixIncident))
		return pending{rec: rec, ev: e}, ok, err
	case strings.HasPrefix(sk, resources.SKComment) && rec.EventName == "INSERT":
		e, ok, err := h.comment(ctx, rec, strings.TrimPrefix(pk, resources.PrefixIncident))
		return pending{rec: rec, ev: e}, ok, err
	}
	return pending{}, false, nil
}

func undecodable(format string, args ...any) error {
	return &permanentError{deadletter.Reason{Code: CodeUndecodable, Message: fmt.Sprintf(format, args...)}}
}

func (h *Handler) incidentChange(ctx context.Context, rec events.DynamoDBEventRecord) (pending, bool, error) {
	if rec.Change.NewImage == nil {
		return pending{}, false, undecodable("%s record without a new image (the stream must carry NEW_AND_OLD_IMAGES)", rec.EventName)
	}
	nr, err := dynamostore.IncidentFromImage(rec.Change.NewImage)
	if err != nil {
		return pending{}, false, undecodable("new image: %v", err)
	}
	newImg := &incidentevent.Image{Incident: nr.Incident, IsIncident: nr.IsIncident, Members: nr.MemberIDs()}
	var oldImg *incidentevent.Image
	var or dynamostore.IncidentRecord
	if rec.Change.OldImage != nil {
		if or, err = dynamostore.IncidentFromImage(rec.Change.OldImage); err != nil {
			return pending{}, false, undecodable("old image: %v", err)
		}
		oldImg = &incidentevent.Image{Incident: or.Incident, IsIncident: or.IsIncident, Members: or.MemberIDs()}
	}
	if err := h.count(ctx, oldImg, &or, nr); err != nil {
		return pending{}, false, err
	}
	e, ok := h.build.FromChange(oldImg, newImg)
	p := pending{rec: rec, ev: e}
	switch kind := e.Detail.Change.Kind; {
	case !ok, kind == incidentevent.KindDissolved:
	case kind == incidentevent.KindCreated:
		p.change = &change{new: newImg.Incident}
	default: // a status change or any update (alerts added, owner, …)
		p.change = &change{old: &oldImg.Incident, new: newImg.Incident}
	}
	return p, ok, nil
}

// count adds the change's metrics, once per incident version. The
// detections of the incident's alerts are looked up only for the changes
// that count per detection (metrics.NeedsDetections).
func (h *Handler) count(ctx context.Context, oldImg *incidentevent.Image, or *dynamostore.IncidentRecord, nr dynamostore.IncidentRecord) error {
	if h.metrics == nil {
		return nil
	}
	var old *metrics.Image
	if oldImg != nil {
		old = &metrics.Image{Incident: or.Incident, IsIncident: or.IsIncident}
	}
	now := &metrics.Image{Incident: nr.Incident, IsIncident: nr.IsIncident}
	marker := nr.Incident.ID + "#" + strconv.FormatInt(nr.Version, 10)
	if metrics.NeedsDetections(old, now) {
		dets, err := h.detections(ctx, nr.Group)
		if err != nil {
			return fmt.Errorf("%w: detections of %s: %v", errRetry, marker, err)
		}
		now.Detections = dets
	}
	d := metrics.ForChange(old, now)
	day := nr.Incident.UpdatedAt.UTC().Format(metrics.DayLayout)
	if err := h.metrics.AddMetrics(ctx, day, marker, d); err != nil {
		return fmt.Errorf("%w: add metrics of %s: %v", errRetry, marker, err)
	}
	return nil
}

// detections names the distinct detections of a group's alerts (their
// provider and type, read from the alert items), sorted, at most
// metrics.MaxDetections; none when the group state is absent or
// unreadable (counters only: never a reason to fail the record).
func (h *Handler) detections(ctx context.Context, group json.RawMessage) ([]string, error) {
	var st correlate.GroupState
	if len(group) == 0 || json.Unmarshal(group, &st) != nil {
		return nil, nil
	}
	ids := make([]string, 0, len(st.Members))
	for _, m := range st.Members {
		ids = append(ids, m.AlertID)
	}
	slices.Sort(ids)
	byAlert, err := h.metrics.AlertDetections(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range byAlert {
		out = append(out, d)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return out[:min(len(out), metrics.MaxDetections)], nil
}

func (h *Handler) responseRequest(ctx context.Context, rec events.DynamoDBEventRecord, incidentID string) (incidentevent.Event, bool, error) {
	req, err := decodeRequest(rec.Change.NewImage, incidentID)
	if err != nil {
		return incidentevent.Event{}, false, err
	}
	inc, err := h.requestIncident(ctx, incidentID, incidentevent.ResponseEventID(incidentID, req.ID), incidentevent.DetailTypeResponseRequested)
	if err != nil {
		return incidentevent.Event{}, false, err
	}
	return h.build.FromResponse(req, inc), true, nil
}

// responseReport is a playbook's report: a response request item
// modified with a higher report count.
func (h *Handler) responseReport(ctx context.Context, rec events.DynamoDBEventRecord, incidentID string) (incidentevent.Event, bool, error) {
	req, err := decodeRequest(rec.Change.NewImage, incidentID)
	if err != nil {
		return incidentevent.Event{}, false, err
	}
	var old incident.ResponseRequest
	if rec.Change.OldImage != nil {
		if old, err = decodeRequest(rec.Change.OldImage, incidentID); err != nil {
			return incidentevent.Event{}, false, err
		}
	}
	if req.Reports <= old.Reports {
		return incidentevent.Event{}, false, nil
	}
	inc, err := h.requestIncident(ctx, incidentID, incidentevent.ResponseUpdateEventID(incidentID, req.ID, req.Reports),
		incidentevent.DetailTypeResponseUpdated)
	if err != nil {
		return incidentevent.Event{}, false, err
	}
	e, ok := h.build.FromResponseUpdate(old, req, inc)
	return e, ok, nil
}

// decodeRequest reads a response request from a stream image.
func decodeRequest(image map[string]events.DynamoDBAttributeValue, incidentID string) (incident.ResponseRequest, error) {
	item, err := dynamostore.FromImage(image)
	if err != nil || item == nil {
		return incident.ResponseRequest{}, undecodable("response request image: %v", err)
	}
	req, err := dynamostore.DecodeResponseRequest(item)
	if err != nil {
		return req, undecodable("%v", err)
	}
	if req.IncidentID == "" {
		req.IncidentID = incidentID
	}
	if req.ID == "" || req.Playbook == "" || req.IncidentID != incidentID {
		return req, undecodable("response request without id, playbook or matching incident")
	}
	return req, nil
}

// requestIncident reads the incident a response event is about; a missing
// one is permanent, a failed read is retried.
func (h *Handler) requestIncident(ctx context.Context, incidentID, eventID, detailType string) (incident.Incident, error) {
	inc, err := h.incidents.GetIncident(ctx, incidentID)
	if errors.Is(err, incident.ErrNotFound) {
		return inc, &permanentError{deadletter.Reason{Code: CodeUnknownIncident,
			Message: "response request for an incident that does not exist or is not visible",
			EventID: eventID, DetailType: detailType}}
	}
	if err != nil {
		return inc, fmt.Errorf("%w: read incident %s: %v", errRetry, incidentID, err)
	}
	return inc, nil
}

// comment builds the commentAdded event of a comment inserted on an
// incident (a bot mirrors it into the incident's thread).
func (h *Handler) comment(ctx context.Context, rec events.DynamoDBEventRecord, incidentID string) (incidentevent.Event, bool, error) {
	item, err := dynamostore.FromImage(rec.Change.NewImage)
	if err != nil || item == nil {
		return incidentevent.Event{}, false, undecodable("comment image: %v", err)
	}
	c, err := dynamostore.DecodeComment(item)
	if err != nil || c.ID == "" {
		return incidentevent.Event{}, false, undecodable("comment: %v", err)
	}
	inc, err := h.incidents.GetIncident(ctx, incidentID)
	if errors.Is(err, incident.ErrNotFound) {
		return incidentevent.Event{}, false, nil // a comment on an incident no longer visible: nothing to mirror
	}
	if err != nil {
		return incidentevent.Event{}, false, fmt.Errorf("%w: read incident %s: %v", errRetry, incidentID, err)
	}
	return h.build.FromComment(c, inc), true, nil
}

func keyString(keys map[string]events.DynamoDBAttributeValue, name string) string {
	v, ok := keys[name]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}
