// Package handler is the writeback function: a consumer of the table's
// stream that carries an incident's status change to the source findings
// behind its alerts (docs/write-back.md; the rules are package writeback).
//
// It reads incident items modified to or from Resolved or Dismissed
// (resources.WriteBack's filters), decides the change with writeback, reads
// the incident's member alerts, and for the sources it is enabled for:
//
//   - Security Hub: BatchUpdateFindings on its Security Hub and GuardDuty
//     findings, at most 100 a call, grouped by region, setting
//     Workflow.Status and a note; findings Security Hub leaves unprocessed
//     for a passing reason are sent again, up to Options.Attempts calls;
//   - GuardDuty: ArchiveFindings when dismissed, UnarchiveFindings when a
//     dismissal is undone, at most 50 a call, per region and detector.
//
// Each record ends in one of three ways, as in the responder:
//
//   - done (also when there was nothing to write, or an alert could not
//     be named to its source: that is logged, and there is nothing to retry);
//   - retried: a call failed for a passing reason (throttling, a 5xx, the
//     network, access denied while IAM propagates) or findings are still
//     unprocessed for one; the record and every later one in the batch
//     are named in BatchItemFailures without being written, so that the
//     changes reach the sources in the order they were made;
//   - dead-lettered: the source refused the request or findings for good
//     (invalid input, a finding not found), or the images do not decode;
//     the record goes to the dead-letter path with the reason, and is
//     named in BatchItemFailures only if that send fails.
//
// Writing back is idempotent: a retried record sets the same status and
// note again (a finding holds one note).
package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/writeback"
)

// Alerts reads stored alerts (dynamostore.Store); a missing one is
// incident.ErrNotFound.
type Alerts interface {
	GetAlert(ctx context.Context, id string) (alert.Alert, error)
}

var _ Alerts = (*dynamostore.Store)(nil)

// Options configure a Handler. The zero value writes nothing back.
type Options struct {
	// SecurityHub, when set, turns on Security Hub write-back.
	SecurityHub SecurityHubAPI
	// GuardDuty, when set, turns on GuardDuty archiving.
	GuardDuty GuardDutyAPI
	// ConsoleURL is the base of the incident link in notes.
	ConsoleURL string
	// Attempts bounds the BatchUpdateFindings calls for one batch of
	// findings (unprocessed ones are sent again); 3 when zero.
	Attempts int
	// Logger receives the handler's logs; slog.Default() when nil.
	Logger *slog.Logger
}

// Handler consumes stream batches.
type Handler struct {
	alerts Alerts
	dead   DeadLetter
	opts   Options
	log    *slog.Logger
}

// New returns a handler reading alerts from alerts and dead-lettering to dead.
func New(alerts Alerts, dead DeadLetter, opts Options) *Handler {
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Handler{alerts: alerts, dead: dead, opts: opts, log: log}
}

// errRetry marks a record worth retrying.
var errRetry = errors.New("retryable")

// permanentError is a record the sources refuse for good.
type permanentError struct{ reason deadletter.Reason }

func (e *permanentError) Error() string { return e.reason.Code + ": " + e.reason.Message }

// Handle writes back each record's change and names the records to retry.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	retrying := false
	for _, rec := range ev.Records {
		seq := rec.Change.SequenceNumber
		if seq == "" {
			return resp, fmt.Errorf("record %s has no sequence number", rec.EventID)
		}
		if retrying {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			continue
		}
		err := h.record(ctx, rec)
		var perm *permanentError
		switch {
		case err == nil:
		case errors.As(err, &perm):
			h.log.Error("write-back refused; dead-lettering the record", "event_id", rec.EventID, "code", perm.reason.Code, "reason", perm.reason.Message)
			lrec, lreason := letter(rec, perm.reason)
			if derr := h.dead.Send(ctx, lrec, lreason); derr != nil {
				h.log.Error("dead letter failed; retrying the record", "event_id", rec.EventID, "error", derr)
				retrying = true
			}
		default:
			h.log.Warn("write-back failed; retrying", "event_id", rec.EventID, "error", err)
			retrying = true
		}
		if retrying {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
		}
	}
	return resp, nil
}

// record writes back one record's change.
func (h *Handler) record(ctx context.Context, rec events.DynamoDBEventRecord) error {
	old, err := dynamostore.IncidentFromImage(rec.Change.OldImage)
	if err != nil {
		return &permanentError{deadletter.Reason{Code: CodeUndecodable, Message: "old image: " + err.Error()}}
	}
	cur, err := dynamostore.IncidentFromImage(rec.Change.NewImage)
	if err != nil {
		return &permanentError{deadletter.Reason{Code: CodeUndecodable, Message: "new image: " + err.Error()}}
	}
	change, ok := writeback.ForStatus(old.Incident.Status, cur.Incident.Status)
	if !ok || (h.opts.SecurityHub == nil && h.opts.GuardDuty == nil) {
		return nil
	}
	findings, err := h.findings(ctx, cur.MemberIDs())
	if err != nil {
		return err
	}
	inc := cur.Incident
	log := h.log.With("incident_id", inc.ID, "change", change.Verb, "findings", len(findings))
	if h.opts.SecurityHub != nil {
		note := writeback.Note(inc, change, writeback.ConsoleLink(h.opts.ConsoleURL, inc.ID))
		if err := h.securityHub(ctx, findings, change.Workflow, note); err != nil {
			return err
		}
	}
	if h.opts.GuardDuty != nil && change.Archive != writeback.ArchiveNone {
		if err := h.guardDuty(ctx, findings, change.Archive); err != nil {
			return err
		}
	}
	log.Info("written back")
	return nil
}

// findings reads the member alerts and names their findings; alerts gone
// from the table (expired) and alerts of other sources are left out, and
// those that cannot be named are logged.
func (h *Handler) findings(ctx context.Context, ids []string) ([]writeback.Finding, error) {
	var out []writeback.Finding
	for _, id := range ids {
		a, err := h.alerts.GetAlert(ctx, id)
		if errors.Is(err, incident.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read alert %s: %w: %w", id, errRetry, err)
		}
		if !writeback.Writable(a.Provider) {
			continue
		}
		f, err := writeback.FindingOf(a)
		if err != nil {
			h.log.Warn("alert not written back", "alert_id", id, "error", err)
			continue
		}
		out = append(out, f)
	}
	return out, nil
}
