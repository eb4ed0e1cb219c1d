package handler

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
)

// maxDetailAlerts bounds the alerts embedded in an incident's details; the
// rest are paged with GET /incidents/{id}/alerts.
const maxDetailAlerts = 200

// incidentDetail is GET /incidents/{id}: the incident, its alerts (each
// with why it joined), timeline, comments and links.
type incidentDetail struct {
	Kind string `json:"kind"`
	*incident.Incident
	Alerts       []any                    `json:"alerts"`
	AlertsCursor string                   `json:"alertsCursor,omitempty"`
	Timeline     []incident.TimelineEntry `json:"timeline"`
	Comments     []incident.Comment       `json:"comments"`
	Links        map[string]string        `json:"links"`
}

func (h *Handler) links(id string) map[string]string {
	base := h.apiURL + "/incidents/" + id
	return map[string]string{"self": base, "alerts": base + "/alerts", "summary": base + "/summary",
		"actions": base + "/actions", "console": h.apiURL + "/#/incidents/" + id}
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// incidentWithAlerts loads an incident, its memberships and the first page
// of its alerts (at most maxDetailAlerts).
func (h *Handler) incidentWithAlerts(ctx context.Context, id string) (incident.Incident, []incident.Membership, listing.Page, error) {
	inc, err := h.store.GetIncident(ctx, id)
	if err != nil {
		return inc, nil, listing.Page{}, err
	}
	members, err := h.store.IncidentMembers(ctx, id)
	if err != nil {
		return inc, nil, listing.Page{}, err
	}
	page, err := h.store.ListAlerts(ctx, incidentAlertsFilter(id), maxDetailAlerts, "")
	return inc, members, page, err
}

func (h *Handler) getIncident(ctx context.Context, r *request) (reply, error) {
	id := r.PathValue("id")
	inc, members, page, err := h.incidentWithAlerts(ctx, id)
	if err != nil {
		return reply{}, err
	}
	tl, err := h.store.Timeline(ctx, id)
	if err != nil {
		return reply{}, err
	}
	cs, err := h.store.Comments(ctx, id)
	if err != nil {
		return reply{}, err
	}
	d := incidentDetail{Kind: string(listing.KindIncident), Incident: &inc, Alerts: pageItems(page, membersByAlert(members)),
		Timeline: nonNil(tl), Comments: nonNil(cs), Links: h.links(id)}
	if page.Next != "" {
		f := incidentAlertsFilter(id)
		lq := listQuery{filter: f, scope: filterScope("incident-alerts:"+id, listing.Filter{}, "", "")}
		d.AlertsCursor = h.cursorFor(lq, page.Next)
	}
	return jsonReply(http.StatusOK, d).with("ETag", etag(inc.Version)), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// parseIfMatch reads the version from If-Match ("3", W/"3" or 3).
func parseIfMatch(r *request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, errNeedIfMatch
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badField("If-Match", "must be the resource's version, as in its ETag")
	}
	return n, nil
}

// patchBody is PATCH /incidents/{id}.
type patchBody struct {
	Status         *string `json:"status"`
	Owner          *string `json:"owner"`
	Classification *string `json:"classification"`
	Severity       *string `json:"severity"`
}

const maxOwnerLen = 256

func (h *Handler) patchIncident(ctx context.Context, r *request) (reply, error) {
	id := r.PathValue("id")
	version, err := parseIfMatch(r)
	if err != nil {
		return reply{}, err
	}
	var b patchBody
	if err := decodeBody(r, &b); err != nil {
		return reply{}, err
	}
	p, err := b.parse()
	if err != nil {
		return reply{}, err
	}
	inc, err := h.applyPatch(ctx, id, version, p, r.principal.Name)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, incidentItem{Kind: string(listing.KindIncident), Incident: &inc}).with("ETag", etag(inc.Version)), nil
}

// patch is a validated change to an incident's fields.
type patch struct {
	body     patchBody
	status   incident.Status
	class    incident.Classification
	severity alert.Severity
}

// parse validates the body, naming the field at fault.
func (b patchBody) parse() (patch, error) {
	p := patch{body: b}
	if b.Status == nil && b.Owner == nil && b.Classification == nil && b.Severity == nil {
		return p, badRequest("give at least one of status, owner, classification, severity")
	}
	if b.Status != nil {
		s, ok := incident.ParseStatus(*b.Status)
		if !ok {
			return p, badField("status", "must be Active, InProgress, Resolved or Dismissed")
		}
		p.status = s
	}
	if b.Classification != nil {
		p.class = incident.Classification(*b.Classification)
		if *b.Classification != "" && !p.class.Valid() {
			return p, badField("classification", "must be TruePositive, BenignPositive, FalsePositive or Undetermined (or empty to clear)")
		}
	}
	if b.Severity != nil {
		s, ok := alert.ParseSeverity(*b.Severity)
		if !ok {
			return p, badField("severity", "must be Informational, Low, Medium, High or Critical")
		}
		p.severity = s
	}
	if b.Owner != nil && len(*b.Owner) > maxOwnerLen {
		return p, badField("owner", "longer than 256 characters")
	}
	return p, nil
}

// applyPatch changes incident id at version (If-Match) with a timeline
// entry per changed field by actor; the incident's alerts follow a new
// status.
func (h *Handler) applyPatch(ctx context.Context, id string, version int64, p patch, actor string) (incident.Incident, error) {
	now := h.now().UTC()
	b := p.body
	inc, err := h.store.PatchIncident(ctx, id, version, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		var tl []incident.TimelineEntry
		rec := func(action, from, to string) {
			tl = append(tl, incident.TimelineEntry{At: now, Actor: actor, Action: action, From: from, To: to})
		}
		if b.Status != nil && p.status != inc.Status {
			if !incident.CanTransition(inc.Status, p.status) {
				return nil, fmt.Errorf("%s → %s: %w", inc.Status, p.status, incident.ErrTransition)
			}
			rec("status changed", string(inc.Status), string(p.status))
			inc.Status = p.status
		}
		if b.Owner != nil && strings.TrimSpace(*b.Owner) != inc.Owner {
			rec("owner changed", inc.Owner, strings.TrimSpace(*b.Owner))
			inc.Owner = strings.TrimSpace(*b.Owner)
		}
		if b.Classification != nil && p.class != inc.Classification {
			rec("classification changed", string(inc.Classification), string(p.class))
			inc.Classification = p.class
		}
		if b.Severity != nil && (p.severity != inc.Severity || inc.SeveritySetBy == "") {
			rec("severity changed", inc.Severity.String(), p.severity.String())
			inc.Severity = p.severity
			inc.SeveritySetBy = actor
		}
		if len(tl) > 0 {
			inc.UpdatedAt, inc.UpdatedBy = now, actor
		}
		return tl, nil
	})
	if err == nil && b.Status != nil {
		h.followStatus(ctx, inc)
	}
	return inc, err
}

// alertStatusFor is the status an incident's alerts take when a person
// moves the incident to st (as in Defender for Cloud): resolved,
// dismissed, or reopened with it. InProgress leaves them as they are.
var alertStatusFor = map[incident.Status]alert.Status{
	incident.StatusResolved:  alert.StatusResolved,
	incident.StatusDismissed: alert.StatusDismissed,
	incident.StatusActive:    alert.StatusActive,
}

// followStatus sets the incident's alerts to the status its new status
// calls for. The incident's change is committed already: a failure here is
// logged, and the alerts follow on the next status change.
func (h *Handler) followStatus(ctx context.Context, inc incident.Incident) {
	st, ok := alertStatusFor[inc.Status]
	if !ok {
		return
	}
	members, err := h.store.IncidentMembers(ctx, inc.ID)
	if err == nil {
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.AlertID
		}
		_, err = h.store.SetAlertStatus(ctx, ids, st)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "alerts did not follow the incident's status", "incident_id", inc.ID, "status", string(inc.Status), "error", err.Error())
	}
}

type commentBody struct {
	Text string `json:"text"`
}

func (h *Handler) addComment(ctx context.Context, r *request, b commentBody) (reply, error) {
	switch {
	case strings.TrimSpace(b.Text) == "":
		return reply{}, badField("text", "is required")
	case len(b.Text) > incident.MaxCommentLen:
		return reply{}, badField("text", "longer than "+strconv.Itoa(incident.MaxCommentLen)+" characters")
	}
	c, err := h.store.AddComment(ctx, r.PathValue("id"), incident.Comment{At: h.now().UTC(), Author: r.principal.Name, Text: b.Text})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusCreated, c), nil
}
