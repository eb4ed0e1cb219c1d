package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
)

// automationView is a rule as the API shows it: the stored rule and its
// state now (Disabled once expiresAt has passed).
type automationView struct {
	automation.Rule
	EffectiveState automation.State `json:"effectiveState"`
}

func (h *Handler) automationView(r automation.Rule) automationView {
	return automationView{Rule: r, EffectiveState: r.EffectiveState(h.now())}
}

// automationBody is the writable part of an automation rule (POST, and
// PATCH where every field is optional).
type automationBody struct {
	Name       string                `json:"name"`
	Order      int                   `json:"order"`
	State      automation.State      `json:"state"`
	Triggers   []automation.Trigger  `json:"triggers"`
	Conditions automation.Conditions `json:"conditions"`
	Actions    []automation.Action   `json:"actions"`
	ExpiresAt  *time.Time            `json:"expiresAt"`
}

func (b automationBody) rule() automation.Rule {
	return automation.Rule{Name: b.Name, Order: b.Order, State: b.State, Triggers: b.Triggers,
		Conditions: b.Conditions, Actions: b.Actions, ExpiresAt: b.ExpiresAt}
}

func (h *Handler) listAutomationRules(ctx context.Context, r *request) (reply, error) {
	rules, err := h.store.ListAutomationRules(ctx)
	if err != nil {
		return reply{}, err
	}
	items := make([]any, 0, len(rules))
	for _, x := range rules {
		items = append(items, h.automationView(x))
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}

func (h *Handler) createAutomationRule(ctx context.Context, r *request, b automationBody) (reply, error) {
	rule := b.rule()
	rule.CreatedBy = r.principal.Name
	if err := rule.Validate(h.playbooks); err != nil {
		return reply{}, err
	}
	created, err := h.store.CreateAutomationRule(ctx, rule)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, h.automationView(created)).
		with("Location", h.apiURL+"/automation-rules/"+created.ID).with("ETag", etag(created.Version)), nil
}

func (h *Handler) getAutomationRule(ctx context.Context, r *request) (reply, error) {
	rule, err := h.store.GetAutomationRule(ctx, r.PathValue("id"))
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, h.automationView(rule)).with("ETag", etag(rule.Version)), nil
}

func (h *Handler) patchAutomationRule(ctx context.Context, r *request) (reply, error) {
	version, err := parseIfMatch(r)
	if err != nil {
		return reply{}, err
	}
	var b automationBody
	if err := decodeBody(r, &b); err != nil {
		return reply{}, err
	}
	var raw map[string]json.RawMessage
	body, _ := readBody(r)
	_ = json.Unmarshal(body, &raw)
	if len(raw) == 0 {
		return reply{}, badRequest("give at least one of name, order, state, triggers, conditions, actions, expiresAt")
	}
	rule, err := h.store.UpdateAutomationRule(ctx, r.PathValue("id"), version, func(x *automation.Rule) error {
		given := func(k string) bool { _, ok := raw[k]; return ok }
		set := []struct {
			field string
			apply func()
		}{
			{"name", func() { x.Name = b.Name }},
			{"order", func() { x.Order = b.Order }},
			{"state", func() { x.State = b.State }},
			{"triggers", func() { x.Triggers = b.Triggers }},
			{"conditions", func() { x.Conditions = b.Conditions }},
			{"actions", func() { x.Actions = b.Actions }},
			{"expiresAt", func() { x.ExpiresAt = b.ExpiresAt }}, // null clears the expiry
		}
		for _, s := range set {
			if given(s.field) {
				s.apply()
			}
		}
		return x.Validate(h.playbooks)
	})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, h.automationView(rule)).with("ETag", etag(rule.Version)), nil
}

func (h *Handler) deleteAutomationRule(ctx context.Context, r *request) (reply, error) {
	if err := h.store.DeleteAutomationRule(ctx, r.PathValue("id")); err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusNoContent}, nil
}

// automationSimulateBody is POST /automation-rules/simulate: a draft rule
// and how many days of incidents to try it on (default 7, at most 30).
type automationSimulateBody struct {
	Rule *automationBody `json:"rule"`
	Days int             `json:"days"`
}

const (
	maxAutomationSimulateDays = 30
	// maxSimulatedIncidents bounds the incidents a simulation examines.
	maxSimulatedIncidents = 2000
)

// simulatedIncident is what the draft would do to one incident.
type simulatedIncident struct {
	IncidentID string                     `json:"incidentId"`
	Title      string                     `json:"title"`
	Severity   string                     `json:"severity"`
	Status     incident.Status            `json:"status"`
	Actions    []incident.TimelineEntry   `json:"actions"`
	Requests   []incident.ResponseRequest `json:"requests"`
}

type automationSimulation struct {
	Since     time.Time           `json:"since"`
	Days      int                 `json:"days"`
	Examined  int                 `json:"examined"`
	Matched   int                 `json:"matched"`
	Truncated bool                `json:"truncated"`
	Incidents []simulatedIncident `json:"incidents"`
}

// simulateAutomationRule tries a draft (whatever its state, as if
// Enabled, on every trigger) on the incidents active in the last days,
// read by the time index as GET /incidents reads them, never by a Scan.
func (h *Handler) simulateAutomationRule(ctx context.Context, r *request, b automationSimulateBody) (reply, error) {
	if b.Rule == nil {
		return reply{}, badField("rule", "is required")
	}
	if b.Days == 0 {
		b.Days = defaultSimulateDays
	}
	if b.Days < 1 || b.Days > maxAutomationSimulateDays {
		return reply{}, badField("days", "must be from 1 to 30")
	}
	rule := b.Rule.rule()
	if err := rule.Validate(h.playbooks); err != nil {
		return reply{}, err
	}
	rule.ID, rule.State, rule.ExpiresAt = "draft", automation.Enabled, nil
	now := h.now().UTC()
	sim := automationSimulation{Since: now.Add(-time.Duration(b.Days) * 24 * time.Hour), Days: b.Days, Incidents: []simulatedIncident{}}
	err := h.eachIncident(ctx, sim.Since, func(inc incident.Incident) error {
		if sim.Examined == maxSimulatedIncidents {
			sim.Truncated = true
			return errStopWalk
		}
		sim.Examined++
		out, err := h.tryRule(ctx, rule, inc, now)
		if err != nil || len(out.Matched) == 0 {
			return err
		}
		sim.Matched++
		sim.Incidents = append(sim.Incidents, simulatedIncident{IncidentID: inc.ID, Title: inc.Title,
			Severity: inc.Severity.String(), Status: inc.Status, Actions: nonNil(out.Entries), Requests: nonNil(out.Requests)})
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, sim), nil
}

// tryRule evaluates rule on inc as the responder would on any change.
func (h *Handler) tryRule(ctx context.Context, rule automation.Rule, inc incident.Incident, now time.Time) (automation.Outcome, error) {
	facts := automation.Facts{Incident: inc}
	rules := []automation.Rule{rule}
	if automation.NeedsAlertTypes(rules) {
		alerts, err := h.allIncidentAlerts(ctx, inc.ID, maxActionAlerts)
		if err != nil {
			return automation.Outcome{}, err
		}
		for i := range alerts {
			facts.AlertTypes = append(facts.AlertTypes, alerts[i].Type)
		}
	}
	triggers := []automation.Trigger{automation.TriggerCreated, automation.TriggerUpdated,
		automation.TriggerAlertsAdded, automation.TriggerStatusChanged}
	return automation.Evaluator{Playbooks: h.playbooks}.Evaluate(rules, triggers, facts, now), nil
}

// errStopWalk ends eachIncident early without an error.
var errStopWalk = errors.New("stop the walk")

// eachIncident calls fn for every incident active since since, newest
// first, page by page through the time index.
func (h *Handler) eachIncident(ctx context.Context, since time.Time, fn func(incident.Incident) error) error {
	f := listing.Filter{Kind: listing.KindIncident, Since: since}
	after := ""
	for {
		page, err := h.store.ListIncidents(ctx, f, maxLimit, after)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if it.Incident == nil {
				continue
			}
			if err := fn(*it.Incident); errors.Is(err, errStopWalk) {
				return nil
			} else if err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}
