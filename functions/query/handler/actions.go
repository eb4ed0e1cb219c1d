package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/guidance"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/suppress"
)

// maxActionAlerts bounds the alerts take-action content and summaries are
// built from: the largest incident the correlator can be configured to
// hold (MUSTER_MAX_ALERTS_PER_INCIDENT is at most 1,000).
const maxActionAlerts = 1000

// maxDrafts bounds the suppression drafts offered.
const maxDrafts = 50

// draft is a suppression-rule draft built from one of the incident's
// alerts.
type draft struct {
	AlertID string `json:"alertId"`
	suppress.Rule
}

type actionsResponse struct {
	IncidentID string                    `json:"incidentId"`
	Mitigate   []guidance.Step           `json:"mitigate"`
	Prevent    []guidance.Recommendation `json:"prevent"`
	Respond    respondActions            `json:"respond"`
	Suppress   []draft                   `json:"suppress"`
}

type respondActions struct {
	Playbooks []playbook.Playbook `json:"playbooks"`
	Requests  []responseView      `json:"requests"`
}

func (h *Handler) actions(ctx context.Context, r *request) (reply, error) {
	id := r.PathValue("id")
	inc, err := h.store.GetIncident(ctx, id)
	if err != nil {
		return reply{}, err
	}
	alerts, err := h.allIncidentAlerts(ctx, id, maxActionAlerts)
	if err != nil {
		return reply{}, err
	}
	reqs, err := h.store.ResponseRequests(ctx, id)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, actionsResponse{
		IncidentID: id,
		Mitigate:   nonNil(guidance.Mitigate(alerts)),
		Prevent:    nonNil(guidance.Prevent(inc, alerts)),
		Respond:    respondActions{Playbooks: nonNil(h.playbooks.List()), Requests: h.responseViews(reqs)},
		Suppress:   nonNil(drafts(alerts, id)),
	}), nil
}

// drafts lists de-duplicated suppression drafts for the alerts.
func drafts(alerts []alert.Alert, incidentID string) []draft {
	seen := map[string]bool{}
	var out []draft
	for i := range alerts {
		for _, d := range suppress.Drafts(&alerts[i], incidentID) {
			k, _ := json.Marshal(d.Match)
			if seen[string(k)] {
				continue
			}
			seen[string(k)] = true
			out = append(out, draft{AlertID: alerts[i].ID, Rule: d})
			if len(out) == maxDrafts {
				return out
			}
		}
	}
	return out
}

type respondBody struct {
	Playbook   string         `json:"playbook"`
	Parameters map[string]any `json:"parameters"`
}

func (h *Handler) respond(ctx context.Context, r *request, b respondBody) (reply, error) {
	id := r.PathValue("id")
	if b.Playbook == "" {
		return reply{}, badField("playbook", "is required")
	}
	pb, err := h.playbooks.Get(b.Playbook)
	if err != nil {
		return reply{}, err
	}
	if err := pb.Validate(b.Parameters); err != nil {
		return reply{}, err
	}
	// A playbook acts only on what the incident names (its resources and
	// entities), not on anything a write token can spell.
	inc, err := h.store.GetIncident(ctx, id)
	if err != nil {
		return reply{}, err
	}
	if err := pb.CheckScope(b.Parameters, inc.Resources, inc.Entities); err != nil {
		// The incident's own lists are capped (50 resources, 100 entities):
		// look through its alerts before refusing.
		alerts, aerr := h.allIncidentAlerts(ctx, id, maxActionAlerts)
		if aerr != nil {
			return reply{}, aerr
		}
		var res []alert.Resource
		var ents []alert.Entity
		for i := range alerts {
			res = append(res, alerts[i].Resources...)
			ents = append(ents, alerts[i].Entities...)
		}
		if err := pb.CheckScope(b.Parameters, res, ents); err != nil {
			return reply{}, err
		}
	}
	if b.Parameters == nil {
		b.Parameters = map[string]any{}
	}
	req, err := h.store.AddResponseRequest(ctx, incident.ResponseRequest{IncidentID: id, Playbook: pb.Name,
		Parameters: b.Parameters, RequestedBy: r.principal.Name, RequestedAt: h.now().UTC()})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusAccepted, req), nil
}

// suppressBody is POST /incidents/{id}/suppress: a rule built from one of
// the incident's alerts. Match defaults to the alert's first draft (its
// type on its primary resource); when given it must match the alert.
type suppressBody struct {
	AlertID         string          `json:"alertId"`
	Name            string          `json:"name"`
	Match           *suppress.Match `json:"match"`
	Reason          string          `json:"reason"`
	Comment         string          `json:"comment"`
	State           suppress.State  `json:"state"`
	ExpiresAt       *time.Time      `json:"expiresAt"`
	DismissExisting bool            `json:"dismissExisting"`
}

type suppressResponse struct {
	Rule      ruleView `json:"rule"`
	Dismissed int      `json:"dismissed"`
}

func (h *Handler) suppressSimilar(ctx context.Context, r *request, b suppressBody) (reply, error) {
	id := r.PathValue("id")
	if _, err := h.store.GetIncident(ctx, id); err != nil {
		return reply{}, err
	}
	if b.AlertID == "" {
		return reply{}, badField("alertId", "is required: the incident's alert to build the rule from")
	}
	a, err := h.store.GetAlert(ctx, b.AlertID)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return reply{}, err
	}
	if err != nil || a.IncidentID != id {
		return reply{}, badField("alertId", "is not an alert of this incident")
	}
	rule := suppress.Drafts(&a, id)[0]
	if b.Match != nil {
		rule.Match = *b.Match
		rule.Name = ""
	}
	if b.Name != "" {
		rule.Name = b.Name
	}
	if rule.Name == "" {
		rule.Name = "Similar to " + a.Name
	}
	if b.Reason != "" {
		rule.Reason = b.Reason
	}
	rule.Comment, rule.ExpiresAt, rule.CreatedBy, rule.SourceIncident = b.Comment, b.ExpiresAt, r.principal.Name, id
	if b.State != "" {
		rule.State = b.State
	}
	if err := rule.Validate(); err != nil {
		return reply{}, err
	}
	if !rule.Matches(&a) {
		return reply{}, badField("match", "does not match the alert the rule is built from")
	}
	created, err := h.store.CreateRule(ctx, rule)
	if err != nil {
		return reply{}, err
	}
	created = h.silenceFor(ctx, created, &a)
	dismissed := 0
	if b.DismissExisting {
		alerts, err := h.allIncidentAlerts(ctx, id, maxActionAlerts)
		if err != nil {
			return reply{}, err
		}
		var ids []string
		for i := range alerts {
			if alerts[i].Status != alert.StatusDismissed && created.Matches(&alerts[i]) {
				ids = append(ids, alerts[i].ID)
			}
		}
		if dismissed, err = h.store.DismissAlerts(ctx, ids, created.ID); err != nil {
			return reply{}, err
		}
	}
	detail := "rule " + created.ID
	if dismissed > 0 {
		detail += "; dismissed " + strconv.Itoa(dismissed) + " matching alerts"
	}
	if err := h.store.AddTimeline(ctx, id, incident.TimelineEntry{At: h.now().UTC(), Actor: r.principal.Name,
		Action: "suppression rule created", Detail: detail}); err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, suppressResponse{Rule: h.view(created), Dismissed: dismissed}).
		with("Location", h.apiURL+"/suppression-rules/"+created.ID), nil
}
