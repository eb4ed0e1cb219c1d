package correlate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// Engine applies the correlation rules (docs/correlation.md). It is safe
// for concurrent use: it holds only its configuration.
type Engine struct {
	cfg        Config
	maxKeys    int
	maxEntries int
}

// New returns an engine for cfg (zero numbers take the defaults).
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// One alert reads and writes its keys over every day its window can
	// span; bound its keys so that its records fit one transaction.
	days := int((2*cfg.Window+24*time.Hour-1)/(24*time.Hour)) + 1
	maxKeys := max(1, min(MaxKeysPerAlert, 72/days))
	return &Engine{cfg: cfg, maxKeys: maxKeys, maxEntries: MaxEntriesPerKeyDay}, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Keys returns the correlation keys an alert links through: alert.Keys,
// at most MaxKeysPerAlert (fewer for long windows) so one alert's records
// fit in one transaction.
func (e *Engine) Keys(a *alert.Alert) []alert.Key {
	k := a.Keys()
	if len(k) > e.maxKeys {
		k = k[:e.maxKeys]
	}
	return k
}

// WindowDays lists the UTC days an alert first seen at t can link into:
// the days of [t-W, t+W].
func (e *Engine) WindowDays(t time.Time) []string {
	from := t.Add(-e.cfg.Window).UTC()
	to := t.Add(e.cfg.Window).UTC()
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	var out []string
	for d := start; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DayLayout))
	}
	return out
}

// Plan lists the key-day records Apply will read for alerts, so a store
// can load them in one batch before applying.
func (e *Engine) Plan(alerts []alert.Alert) []KeyDayID {
	seen := map[KeyDayID]bool{}
	var out []KeyDayID
	for i := range alerts {
		a := &alerts[i]
		if a.SuppressedBy != "" {
			continue
		}
		days := e.WindowDays(a.FirstSeen)
		for _, k := range e.Keys(a) {
			for _, d := range days {
				id := KeyDayID{Key: k, Day: d}
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
	return out
}

// Apply correlates a batch of alerts against st and returns the changes to
// persist. Alerts are processed in (firstSeen, id) order; an alert that is
// already a member of a group (a replay or a re-delivery) only refreshes
// its fields and never duplicates membership, so applying the same batch
// twice yields no changes the second time.
func (e *Engine) Apply(st State, alerts []alert.Alert, now time.Time) (*Changes, error) {
	b := newBatch(e, st, now)
	for _, a := range b.admit(alerts) {
		b.begin(a.ID)
		if err := b.apply(a); err != nil {
			return nil, fmt.Errorf("correlate alert %s: %w", a.ID, err)
		}
	}
	b.finish()
	return b.ch, nil
}

// admit returns the alerts that take part in correlation, in processing
// order: suppressed alerts are skipped (and listed as such), and of the
// same alert twice in a batch the later delivery wins.
func (b *batch) admit(alerts []alert.Alert) []*alert.Alert {
	var out []*alert.Alert
	pos := map[string]int{}
	for i := range alerts {
		a := &alerts[i]
		if a.SuppressedBy != "" {
			b.ch.Skipped = append(b.ch.Skipped, a.ID)
			continue
		}
		if j, ok := pos[a.ID]; ok {
			out[j] = a
			continue
		}
		pos[a.ID] = len(out)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *alert.Alert) int {
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}
