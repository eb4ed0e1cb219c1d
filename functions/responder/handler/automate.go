package handler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/listing"
)

// Automation is where automation rules live and their runs are stored
// (dynamostore.Store). ApplyAutomation must store a run at most once per
// incident version and only while the incident is at that version.
type Automation interface {
	ListAutomationRules(ctx context.Context) ([]automation.Rule, error)
	ApplyAutomation(ctx context.Context, id string, version int64, out automation.Outcome) error
	RecordAutomationHits(ctx context.Context, ids []string, at time.Time) error
	ListAlerts(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error)
}

var _ Automation = (*dynamostore.Store)(nil)

// maxTypedAlerts bounds the alerts read for an alertTypes condition.
const maxTypedAlerts = 1000

// change is an incident item change that fires automation rules.
type change struct {
	old *incident.Incident // nil: the incident was created
	new incident.Incident
}

// rulesCache reads the rules once per batch, when a change needs them.
type rulesCache struct {
	rules  []automation.Rule
	loaded bool
}

// maxRebases bounds how often a run is evaluated again on a newer
// version of the incident the correlator or another rule wrote meanwhile.
const maxRebases = 3

// automate runs the rules on one incident change and stores what they
// did. A change made by a rule fires nothing. When the incident moved on
// since the change, the rules run again on it as it is now if the newer
// write was the correlator's or a rule's, and not at all if it was a
// person's (their edit wins; its own record runs the rules). A run stored
// before (a replay) is not an error; a failed read or write is, and
// retries the record.
func (h *Handler) automate(ctx context.Context, c change, cache *rulesCache) error {
	if h.automation == nil || automation.ByAutomation(c.new.UpdatedBy) {
		return nil
	}
	if err := cache.load(ctx, h.automation); err != nil {
		return err
	}
	if len(cache.rules) == 0 {
		return nil
	}
	facts := automation.Facts{Incident: c.new}
	if automation.NeedsAlertTypes(cache.rules) {
		types, err := h.alertTypes(ctx, c.new.ID)
		if err != nil {
			return fmt.Errorf("%w: read alerts of %s: %v", errRetry, c.new.ID, err)
		}
		facts.AlertTypes = types
	}
	triggers := automation.Triggers(c.old, c.new)
	for range maxRebases {
		now := h.now().UTC()
		out := h.evaluator.Evaluate(cache.rules, triggers, facts, now)
		if len(out.Matched) == 0 {
			return nil
		}
		if n := len(out.Entries) + len(out.Requests); n > dynamostore.MaxAutomationWrites {
			out.Entries = out.Entries[:max(0, dynamostore.MaxAutomationWrites-len(out.Requests))]
		}
		err := h.automation.ApplyAutomation(ctx, c.new.ID, c.new.Version, out)
		if !errors.Is(err, incident.ErrConflict) {
			return h.applied(ctx, c, out, now, err)
		}
		cur, err := h.incidents.GetIncident(ctx, c.new.ID)
		switch {
		case errors.Is(err, incident.ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("%w: read incident %s: %v", errRetry, c.new.ID, err)
		case !rebaseable(cur.UpdatedBy):
			h.log.Info("automation skipped: a person changed the incident since", "incident_id", c.new.ID,
				"version", c.new.Version, "now_at", cur.Version)
			return nil
		}
		facts.Incident = cur
	}
	h.log.Warn("automation skipped: the incident kept changing", "incident_id", c.new.ID, "version", c.new.Version)
	return nil
}

// rebaseable reports whether a write by updatedBy leaves the rules free to
// run again on the newer version: the correlator's and the rules' own
// writes do, a person's does not.
func rebaseable(updatedBy string) bool {
	return updatedBy == "" || updatedBy == incidentevent.DefaultActor || automation.ByAutomation(updatedBy)
}

// applied finishes a run ApplyAutomation answered err to: a stored run has
// its hits counted (after the run, so a replay never counts twice; a
// failure here loses hits, never a change), a replay is done, anything
// else retries.
func (h *Handler) applied(ctx context.Context, c change, out automation.Outcome, now time.Time, err error) error {
	switch {
	case errors.Is(err, automation.ErrApplied):
		h.log.Info("automation already applied", "incident_id", c.new.ID, "version", c.new.Version)
		return nil
	case errors.Is(err, incident.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("%w: %v", errRetry, err)
	}
	h.log.Info("automation applied", "incident_id", c.new.ID, "version", c.new.Version,
		"rules", len(out.Matched), "entries", len(out.Entries), "requests", len(out.Requests), "changed", out.Changed)
	if err := h.automation.RecordAutomationHits(ctx, out.Matched, now); err != nil {
		h.log.Warn("automation hits not recorded", "incident_id", c.new.ID, "error", err)
	}
	return nil
}

func (c *rulesCache) load(ctx context.Context, a Automation) error {
	if c.loaded {
		return nil
	}
	rules, err := a.ListAutomationRules(ctx)
	if err != nil {
		return fmt.Errorf("%w: list automation rules: %v", errRetry, err)
	}
	c.rules, c.loaded = rules, true
	return nil
}

// alertTypes lists the types of the incident's alerts, de-duplicated.
func (h *Handler) alertTypes(ctx context.Context, id string) ([]string, error) {
	f := listing.Filter{Kind: listing.KindAlert, Incidents: []string{id}, Since: time.Unix(0, 0).UTC()}
	seen := map[string]bool{}
	var out []string
	after, read := "", 0
	for read < maxTypedAlerts {
		page, err := h.automation.ListAlerts(ctx, f, 100, after)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			read++
			if it.Alert != nil && !seen[it.Alert.Type] {
				seen[it.Alert.Type] = true
				out = append(out, it.Alert.Type)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return out, nil
}
