package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/suppress"
)

// Limits of one request.
const (
	// MaxBodyBytes is the largest request body accepted (413 above).
	MaxBodyBytes = 1 << 20
	// MaxAlerts is the most alerts one request may carry (400 above).
	MaxAlerts = 500
)

// AlertStore stores normalised alerts idempotently: a re-delivery of a
// known alert (same id) is merged into it, never stored twice.
type AlertStore interface {
	PutAlert(ctx context.Context, a *alert.Alert) (normalize.PutResult, error)
}

// RuleSource gives the suppression rules ingest must evaluate now and
// records their hits. Implemented by dynamostore.Store.
type RuleSource interface {
	ActiveRules(ctx context.Context) ([]suppress.Rule, error)
	RecordHits(ctx context.Context, hits map[string]int, at time.Time) error
}

// Counters keeps the daily metric counters (dynamostore.Store): AddMetrics
// adds d to day's counters (no marker: ingest counts an alert only when
// its put created it, so a re-delivery adds nothing).
type Counters interface {
	AddMetrics(ctx context.Context, day, marker string, d metrics.Delta) error
}

// noRules is the RuleSource used when none is configured.
type noRules struct{}

func (noRules) ActiveRules(context.Context) ([]suppress.Rule, error)        { return nil, nil }
func (noRules) RecordHits(context.Context, map[string]int, time.Time) error { return nil }

// Result statuses, as in the webhook response.
const (
	StatusAccepted   = "accepted"
	StatusDuplicate  = "duplicate"
	StatusSuppressed = "suppressed"
	StatusRejected   = "rejected"
)

// ItemResult is the outcome for one alert of a request.
type ItemResult struct {
	Index   int               `json:"index"`
	Status  string            `json:"status"`
	AlertID string            `json:"alertId,omitempty"`
	Error   *alert.FieldError `json:"error,omitempty"`
}

// Summary is the webhook result (docs/architecture.md, "Contracts").
type Summary struct {
	Accepted   int          `json:"accepted"`
	Duplicates int          `json:"duplicates"`
	Suppressed int          `json:"suppressed"`
	Rejected   int          `json:"rejected"`
	Results    []ItemResult `json:"results"`
}

// Valid reports whether at least one alert of the request was valid.
func (s Summary) Valid() bool { return s.Rejected < len(s.Results) }

// ErrTooManyAlerts is returned for a request with more than MaxAlerts
// alerts; nothing of it is stored.
var ErrTooManyAlerts = normalize.ErrTooManyAlerts

// Service normalises, suppresses and stores alerts. The zero value is not
// usable: Alerts is required; Rules, Now and Log have safe defaults.
type Service struct {
	Alerts  AlertStore
	Rules   RuleSource
	Metrics Counters // nil: no counters
	Now     func() time.Time
	Log     *slog.Logger
}

func (s *Service) rules() RuleSource {
	if s.Rules == nil {
		return noRules{}
	}
	return s.Rules
}

// Ingest handles one request body for provider. Errors: wrapping
// normalize.ErrUnknownProvider, normalize.ErrMalformed or ErrTooManyAlerts
// (nothing stored), or a storage error (retry: the request is idempotent).
// Rejected items are never written. An alert the store refuses as invalid
// (an error wrapping alert.ErrInvalid, for example one over DynamoDB's item
// size limit) is a rejected item like one that failed validation; the
// other alerts of the request are still stored.
func (s *Service) Ingest(ctx context.Context, provider string, body []byte) (Summary, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	at := now().UTC()
	results, err := normalize.ParseLimit(provider, body, at, MaxAlerts)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Results: make([]ItemResult, 0, len(results))}
	var rules []suppress.Rule
	rulesLoaded := false
	hits := map[string]int{}
	var created []*alert.Alert
	for _, r := range results {
		item := ItemResult{Index: r.Index}
		if r.Err != nil {
			item.Status, item.Error = StatusRejected, r.FieldError()
			sum.Rejected++
			sum.Results = append(sum.Results, item)
			continue
		}
		if !rulesLoaded {
			if rules, err = s.rules().ActiveRules(ctx); err != nil {
				return Summary{}, fmt.Errorf("load suppression rules: %w", err)
			}
			rulesLoaded = true
		}
		a := r.Alert
		verdict := suppress.Evaluate(rules, a, at)
		verdict.Apply(a)
		put, err := s.Alerts.PutAlert(ctx, a)
		if fe := refusal(err); fe != nil {
			// The store cannot hold this alert (too large for an item, a
			// key too long): permanent, so report it like any invalid
			// alert and go on with the rest of the request.
			s.logger().WarnContext(ctx, "alert refused by the store", "provider", provider,
				"index", r.Index, "alert_id", a.ID, "field", fe.Field, "error", err)
			item.Status, item.Error = StatusRejected, fe
			sum.Rejected++
			sum.Results = append(sum.Results, item)
			continue
		}
		if err != nil {
			return Summary{}, fmt.Errorf("store alert %d: %w", r.Index, err)
		}
		item.AlertID = a.ID
		switch {
		case verdict.SuppressedBy != "":
			item.Status = StatusSuppressed
			sum.Suppressed++
		case put.Outcome == normalize.Accepted:
			item.Status = StatusAccepted
			sum.Accepted++
		default:
			item.Status = StatusDuplicate
			sum.Duplicates++
		}
		if put.Outcome == normalize.Accepted {
			created = append(created, a)
			// Hits count alerts, not deliveries: a re-delivery is not a
			// second hit.
			for _, id := range verdict.Hits {
				hits[id]++
			}
		}
		sum.Results = append(sum.Results, item)
	}
	if len(hits) > 0 {
		if err := s.rules().RecordHits(ctx, hits, at); err != nil {
			// Counters only: the alerts are stored and suppressed already.
			s.logger().WarnContext(ctx, "record suppression hits", "error", err)
		}
	}
	s.count(ctx, created, at)
	return sum, nil
}

// count adds the request's new alerts to the day's counters. Counters
// only: a failed write is logged and those alerts go uncounted (a retried
// request finds them stored, so it cannot count them twice).
func (s *Service) count(ctx context.Context, created []*alert.Alert, at time.Time) {
	if s.Metrics == nil || len(created) == 0 {
		return
	}
	if err := s.Metrics.AddMetrics(ctx, at.Format(metrics.DayLayout), "", metrics.ForAlerts(created)); err != nil {
		s.logger().WarnContext(ctx, "add alert metrics; these alerts go uncounted", "alerts", len(created), "error", err)
	}
}

func (s *Service) logger() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// refusal returns the field error of a PutAlert error that refuses the
// alert itself (it wraps alert.ErrInvalid), or nil for success and for
// storage failures. The reason is the store's own text, never the
// database's.
func refusal(err error) *alert.FieldError {
	if err == nil || !errors.Is(err, alert.ErrInvalid) {
		return nil
	}
	var fe *alert.FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return &alert.FieldError{Field: "item", Reason: "the alert cannot be stored"}
}

// isClientError reports whether err is the caller's fault (4xx).
func isClientError(err error) bool {
	return errors.Is(err, normalize.ErrMalformed) || errors.Is(err, normalize.ErrUnknownProvider) || errors.Is(err, ErrTooManyAlerts)
}
