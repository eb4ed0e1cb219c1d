package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/muster-sec/muster/shared/rulemeta"
	"github.com/muster-sec/muster/shared/suppress"
)

// ruleView is a rule as the API shows it: the stored rule plus its state
// now (Expired once expiresAt has passed).
type ruleView struct {
	suppress.Rule
	EffectiveState suppress.State `json:"effectiveState"`
}

func (h *Handler) view(r suppress.Rule) ruleView {
	return ruleView{Rule: r, EffectiveState: r.EffectiveState(h.now())}
}

// ruleBody is the writable part of a rule (POST, and PATCH where every
// field is optional).
type ruleBody struct {
	Name      string          `json:"name"`
	Match     *suppress.Match `json:"match"`
	Reason    string          `json:"reason"`
	Comment   string          `json:"comment"`
	State     suppress.State  `json:"state"`
	ExpiresAt *time.Time      `json:"expiresAt"`
}

func (h *Handler) listRules(ctx context.Context, r *request) (reply, error) {
	if len(queryValues(r)) > 0 {
		return reply{}, badRequest("this list takes no query parameters")
	}
	rules, err := h.store.ListRules(ctx)
	if err != nil {
		return reply{}, err
	}
	items := make([]any, 0, len(rules))
	for _, x := range rules {
		items = append(items, h.view(x))
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}

func (h *Handler) createRule(ctx context.Context, r *request, b ruleBody) (reply, error) {
	if b.Match == nil {
		return reply{}, badField("match", "is required")
	}
	rule := suppress.Rule{Name: b.Name, Match: *b.Match, Reason: b.Reason, Comment: b.Comment, State: b.State,
		ExpiresAt: b.ExpiresAt, Meta: rulemeta.Meta{CreatedBy: r.principal.Name}}
	created, err := h.store.CreateRule(ctx, rule)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, h.view(created)).
		with("Location", h.apiURL+"/suppression-rules/"+created.ID).with("ETag", etag(created.Version)), nil
}

func (h *Handler) getRule(ctx context.Context, r *request) (reply, error) {
	rule, err := h.store.GetRule(ctx, r.PathValue("id"))
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, h.view(rule)).with("ETag", etag(rule.Version)), nil
}

func (h *Handler) patchRule(ctx context.Context, r *request) (reply, error) {
	version, err := parseIfMatch(r)
	if err != nil {
		return reply{}, err
	}
	var raw map[string]json.RawMessage
	var b ruleBody
	if err := decodeBody(r, &b); err != nil {
		return reply{}, err
	}
	body, _ := readBody(r)
	_ = json.Unmarshal(body, &raw)
	if len(raw) == 0 {
		return reply{}, badRequest("give at least one of name, match, reason, comment, state, expiresAt")
	}
	var before suppress.Rule
	rule, err := h.store.UpdateRule(ctx, r.PathValue("id"), version, func(x *suppress.Rule) error {
		before = *x
		if _, ok := raw["name"]; ok {
			x.Name = b.Name
		}
		if _, ok := raw["match"]; ok {
			if b.Match == nil {
				return badField("match", "cannot be null")
			}
			x.Match = *b.Match
		}
		if _, ok := raw["reason"]; ok {
			x.Reason = b.Reason
		}
		if _, ok := raw["comment"]; ok {
			x.Comment = b.Comment
		}
		if _, ok := raw["state"]; ok {
			x.State = b.State
		}
		if _, ok := raw["expiresAt"]; ok {
			x.ExpiresAt = b.ExpiresAt // null clears the expiry
		}
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	rule = h.syncSilence(ctx, before, rule)
	return jsonReply(http.StatusOK, h.view(rule)).with("ETag", etag(rule.Version)), nil
}

func (h *Handler) deleteRule(ctx context.Context, r *request) (reply, error) {
	var rule suppress.Rule
	if h.silencer != nil {
		var err error
		if rule, err = h.store.GetRule(ctx, r.PathValue("id")); err != nil {
			return reply{}, err
		}
	}
	if err := h.store.DeleteRule(ctx, r.PathValue("id")); err != nil {
		return reply{}, err
	}
	h.expireDeleted(ctx, rule)
	return reply{status: http.StatusNoContent}, nil
}

// simulateBody is POST /suppression-rules/simulate: a draft's match and
// how many days back to look (default 7, at most 90).
type simulateBody struct {
	Match *suppress.Match `json:"match"`
	Days  int             `json:"days"`
}

const (
	defaultSimulateDays = 7
	maxSimulateDays     = 90
)

type simulateResponse struct {
	Matched   int       `json:"matched"`
	Examined  int       `json:"examined"`
	Truncated bool      `json:"truncated"`
	Sample    []string  `json:"sample"`
	Since     time.Time `json:"since"`
	Days      int       `json:"days"`
}

func (h *Handler) simulate(ctx context.Context, r *request, b simulateBody) (reply, error) {
	if b.Match == nil {
		return reply{}, badField("match", "is required")
	}
	if b.Days == 0 {
		b.Days = defaultSimulateDays
	}
	if b.Days < 1 || b.Days > maxSimulateDays {
		return reply{}, badField("days", "must be from 1 to 90")
	}
	rule := suppress.Rule{Match: *b.Match, Reason: "simulation", State: suppress.Enabled}
	if err := rule.Validate(); err != nil {
		return reply{}, err
	}
	since := h.now().Add(-time.Duration(b.Days) * 24 * time.Hour).UTC()
	sim, err := h.store.SimulateRule(ctx, rule, since)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, simulateResponse{Matched: sim.Matched, Examined: sim.Examined, Truncated: sim.Truncated,
		Sample: nonNil(sim.Sample), Since: since, Days: b.Days}), nil
}
