// Package handler is the correlator function, a consumer of the table's
// stream: it decodes the alert items of a batch, correlates them (see the
// correlate package for the rules) and reports the records it could not
// commit so Lambda retries exactly those.
//
// Records it skips: anything but an alert INSERT or MODIFY; a MODIFY whose
// alert document did not change apart from its incidentId (the
// correlator's own assignment write, or a no-op rewrite) unless the
// redrive touched it (resources.AttrRedrive, see docs/operations.md); and
// a record whose image cannot be decoded — it can never succeed, so it is
// logged (with its sequence number, never its content) and not retried.
package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/resources"
)

// Handler consumes stream batches.
type Handler struct {
	svc *correlate.Service
	log *slog.Logger
}

// Options tune a Handler; the zero value is usable.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
}

// FromEnv wires the handler's adapters from the environment: the table
// (MUSTER_TABLE) and the correlation parameters (MUSTER_CORRELATION_WINDOW,
// MUSTER_MIN_STAGES, MUSTER_NOISY_KEY_RESOURCES,
// MUSTER_MAX_ALERTS_PER_INCIDENT, MUSTER_REOPEN_RESOLVED), read once.
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	ccfg, err := correlate.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), resources.TableFromEnv(getenv), dynamostore.Options{})
	return New(store, ccfg, Options{})
}

// New returns a handler on store.
func New(store correlate.Store, cfg correlate.Config, opts Options) (*Handler, error) {
	e, err := correlate.New(cfg)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("component", "correlator")
	svc := correlate.NewService(e, store, correlate.ServiceOptions{Now: opts.Now, Logger: log})
	return &Handler{svc: svc, log: log}, nil
}

// Handle processes one stream batch and names the records that failed.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var (
		alerts  []alert.Alert
		seqs    = map[string][]string{} // alert id → sequence numbers
		skipped int
	)
	for _, rec := range ev.Records {
		a, ok := h.decode(ctx, rec)
		if !ok {
			skipped++
			continue
		}
		if _, seen := seqs[a.ID]; !seen {
			alerts = append(alerts, a)
		} else {
			// The later image of the same alert wins.
			for i := range alerts {
				if alerts[i].ID == a.ID {
					alerts[i] = a
				}
			}
		}
		seqs[a.ID] = append(seqs[a.ID], rec.Change.SequenceNumber)
	}
	var resp events.DynamoDBEventResponse
	if len(alerts) == 0 {
		h.log.InfoContext(ctx, "correlated batch", "records", len(ev.Records), "alerts", 0, "skipped", skipped)
		return resp, nil
	}
	res := h.svc.Correlate(ctx, alerts)
	failed := map[string]bool{}
	for _, id := range res.Failed {
		for _, seq := range seqs[id] {
			failed[seq] = true
		}
	}
	for _, rec := range ev.Records {
		if seq := rec.Change.SequenceNumber; failed[seq] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			delete(failed, seq)
		}
	}
	h.log.InfoContext(ctx, "correlated batch", "records", len(ev.Records), "alerts", len(alerts),
		"skipped", skipped, "failed", len(res.Failed), "units", res.Units, "conflicts", res.Conflicts,
		"created", len(res.Created), "merged", len(res.Merged), "reopened", len(res.Reopened),
		"promoted", len(res.Promoted), "noisy_keys", len(res.NoisyKeys), "assignments", res.Assignments)
	for _, k := range res.NoisyKeys {
		h.log.InfoContext(ctx, "correlation key turned noisy", "key_kind", k.Kind())
	}
	return resp, nil
}

// decode returns the alert of an INSERT or MODIFY record that needs
// correlating.
func (h *Handler) decode(ctx context.Context, rec events.DynamoDBEventRecord) (alert.Alert, bool) {
	switch rec.EventName {
	case "INSERT", "MODIFY":
	default:
		return alert.Alert{}, false
	}
	if pk, ok := rec.Change.Keys[resources.AttrPK]; ok && pk.DataType() == events.DataTypeString &&
		!strings.HasPrefix(pk.String(), resources.PrefixAlert) {
		return alert.Alert{}, false
	}
	if rec.Change.NewImage == nil {
		h.log.WarnContext(ctx, "stream record without a new image; is the stream view NEW_AND_OLD_IMAGES?",
			"sequence_number", rec.Change.SequenceNumber)
		return alert.Alert{}, false
	}
	a, _, err := dynamostore.AlertFromImage(rec.Change.NewImage)
	if err != nil || a.ID == "" {
		h.log.ErrorContext(ctx, "undecodable alert record skipped", "sequence_number", rec.Change.SequenceNumber,
			"error_kind", fmt.Sprintf("%T", err))
		return alert.Alert{}, false
	}
	if rec.EventName == "MODIFY" && rec.Change.OldImage != nil && !redriven(rec) {
		if old, _, err := dynamostore.AlertFromImage(rec.Change.OldImage); err == nil && sameApartFromIncident(old, a) {
			return alert.Alert{}, false
		}
	}
	return a, true
}

// redriven reports whether a record is the redrive's touch of an alert
// (resources.AttrRedrive changed): the alert is correlated again although
// its document did not change.
func redriven(rec events.DynamoDBEventRecord) bool {
	n, ok := rec.Change.NewImage[resources.AttrRedrive]
	if !ok {
		return false
	}
	o, ok := rec.Change.OldImage[resources.AttrRedrive]
	if !ok {
		return true
	}
	nb, err1 := json.Marshal(n)
	ob, err2 := json.Marshal(o)
	return err1 != nil || err2 != nil || !bytes.Equal(nb, ob)
}

// sameApartFromIncident reports whether two versions of an alert differ
// at most in their incident assignment.
func sameApartFromIncident(a, b alert.Alert) bool {
	a.IncidentID, b.IncidentID = "", ""
	ja, err1 := json.Marshal(&a)
	jb, err2 := json.Marshal(&b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
