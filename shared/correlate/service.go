package correlate

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// Service correlates batches against a Store: it loads the state a batch
// needs, applies the engine, commits each unit in its own transaction,
// reloads and re-applies the alerts of units that lost a race (bounded),
// and splits units too large for one transaction.
type Service struct {
	engine      *Engine
	store       Store
	now         func() time.Time
	log         *slog.Logger
	maxAttempts int
}

// ServiceOptions tune a Service; the zero value is usable.
type ServiceOptions struct {
	Now         func() time.Time // time.Now when nil
	Logger      *slog.Logger     // slog.Default when nil
	MaxAttempts int              // attempts per alert on conflicts; 5 when 0
}

// NewService returns a Service.
func NewService(e *Engine, store Store, opts ServiceOptions) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	return &Service{engine: e, store: store, now: opts.Now, log: opts.Logger, maxAttempts: opts.MaxAttempts}
}

// Engine returns the service's engine.
func (s *Service) Engine() *Engine { return s.engine }

// Result summarises one Correlate call.
type Result struct {
	// Failed lists the alerts whose changes could not be committed; the
	// caller reports them for retry.
	Failed []string
	// Units committed, conflicts retried, and records written.
	Units, Conflicts, KeyDays, Groups, Assignments int
	Created, Merged, Reopened, Promoted            []string
	NoisyKeys                                      []alert.Key
}

// Correlate applies alerts and persists the outcome.
func (s *Service) Correlate(ctx context.Context, alerts []alert.Alert) Result {
	var res Result
	failed := map[string]bool{}
	s.run(ctx, alerts, &res, failed)
	for i := range alerts {
		if failed[alerts[i].ID] {
			res.Failed = append(res.Failed, alerts[i].ID)
			delete(failed, alerts[i].ID)
		}
	}
	return res
}

func pick(alerts []alert.Alert, ids []string) []alert.Alert {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var out []alert.Alert
	for i := range alerts {
		if want[alerts[i].ID] {
			out = append(out, alerts[i])
		}
	}
	return out
}

func markAll(failed map[string]bool, alerts []alert.Alert) {
	for i := range alerts {
		failed[alerts[i].ID] = true
	}
}

func (s *Service) run(ctx context.Context, alerts []alert.Alert, res *Result, failed map[string]bool) {
	pending := alerts
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > s.maxAttempts {
			s.log.WarnContext(ctx, "correlation conflicts persist; alerts left for retry", "alerts", len(pending), "attempts", s.maxAttempts)
			markAll(failed, pending)
			return
		}
		if attempt > 1 && !s.backoff(ctx, attempt) {
			markAll(failed, pending)
			return
		}
		snap, err := Load(ctx, s.store, s.engine, pending)
		if err != nil {
			s.log.ErrorContext(ctx, "load correlation state", "error", err, "alerts", len(pending))
			markAll(failed, pending)
			return
		}
		ch, err := s.engine.Apply(snap, pending, s.now())
		if err != nil {
			s.log.ErrorContext(ctx, "apply correlation", "error", err, "alerts", len(pending))
			markAll(failed, pending)
			return
		}
		res.NoisyKeys = append(res.NoisyKeys, ch.NoisyKeys...)
		var retry []string
		for i := range ch.Units {
			u := &ch.Units[i]
			if u.Items() > MaxTransactionItems {
				if len(u.Alerts) == 1 {
					s.log.ErrorContext(ctx, "alert touches too many records for one transaction", "alert_id", u.Alerts[0], "records", u.Items())
					failed[u.Alerts[0]] = true
					continue
				}
				// Too big for one transaction: apply the unit's alerts in
				// halves, one after the other, each on fresh state.
				sub := pick(pending, u.Alerts)
				half := len(sub) / 2
				s.run(ctx, sub[:half], res, failed)
				s.run(ctx, sub[half:], res, failed)
				continue
			}
			err := s.store.Commit(ctx, u)
			switch {
			case IsConflict(err):
				res.Conflicts++
				retry = append(retry, u.Alerts...)
				continue
			case err != nil:
				s.log.ErrorContext(ctx, "commit correlation", "error", err, "alerts", len(u.Alerts))
				for _, id := range u.Alerts {
					failed[id] = true
				}
				continue
			}
			res.Units++
			res.KeyDays += len(u.KeyDays)
			res.Groups += len(u.Groups)
			for _, g := range u.Groups {
				if g.Version == 1 {
					res.Created = append(res.Created, g.ID())
				}
			}
			if len(u.Assignments) > 0 {
				if err := s.store.Assign(ctx, u.Assignments); err != nil {
					// The membership is committed; a re-delivery of the
					// alert writes the assignment again.
					s.log.ErrorContext(ctx, "assign alerts to incident", "error", err, "alerts", len(u.Assignments))
					for _, a := range u.Assignments {
						if contains(u.Alerts, a.AlertID) {
							failed[a.AlertID] = true
						}
					}
				} else {
					res.Assignments += len(u.Assignments)
				}
			}
		}
		res.Merged = append(res.Merged, ch.Merged...)
		res.Reopened = append(res.Reopened, ch.Reopened...)
		res.Promoted = append(res.Promoted, ch.Promoted...)
		pending = pick(pending, retry)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// backoff waits a little, with jitter, before retrying a conflict. It
// reports false when ctx ended.
func (s *Service) backoff(ctx context.Context, attempt int) bool {
	d := time.Duration(attempt*attempt)*5*time.Millisecond + time.Duration(rand.Int64N(int64(10*time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Correct applies an analyst's correction (Engine.Correct) and commits it
// in one transaction. When a record changed meanwhile (the correlator
// grew an incident, another analyst acted), it reloads and applies again;
// a target no longer at c.Version is then refused with ErrStale.
func (s *Service) Correct(ctx context.Context, c Correction) (*Changes, error) {
	for attempt := 1; ; attempt++ {
		snap := NewSnapshot(ctx, s.store)
		ch, err := s.engine.Correct(snap, c, s.now())
		if err != nil {
			return nil, err
		}
		err = s.commitAll(ctx, ch)
		if IsConflict(err) && attempt < s.maxAttempts && s.backoff(ctx, attempt) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, u := range ch.Units {
			if err := s.store.Assign(ctx, u.Assignments); err != nil {
				// The correction is committed; the incident ids on the
				// alert items follow on the next change.
				s.log.ErrorContext(ctx, "assign alerts after a correction", "error", err, "alerts", len(u.Assignments))
			}
		}
		return ch, nil
	}
}

func (s *Service) commitAll(ctx context.Context, ch *Changes) error {
	for i := range ch.Units {
		if err := s.store.Commit(ctx, &ch.Units[i]); err != nil {
			return err
		}
	}
	return nil
}
