package handler

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	Responses    []responseView           `json:"responses"`
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
	reqs, err := h.store.ResponseRequests(ctx, id)
	if err != nil {
		return reply{}, err
	}
	d := incidentDetail{Kind: string(listing.KindIncident), Incident: &inc, Alerts: pageItems(page, membersByAlert(members)),
		Timeline: nonNil(tl), Comments: nonNil(cs), Responses: h.responseViews(reqs), Links: h.links(id)}
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
	// Tags replace the incident's tags.
	Tags *[]string `json:"tags"`
}

const maxOwnerLen = 256

// checkTags validates a tag set and returns it without repeats.
func checkTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if !incident.ValidTag(t) {
			return nil, badField("tags", "a tag is 1–64 of A-Z a-z 0-9 : . _ / -")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > incident.MaxTags {
		return nil, badField("tags", "at most "+strconv.Itoa(incident.MaxTags)+" tags")
	}
	return out, nil
}

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

// applyPatch changes incident id at version (If-Match) by actor, with a
// timeline entry per changed field; the incident's alerts follow a new
// status.
func (h *Handler) applyPatch(ctx context.Context, id string, version int64, p incidentPatch, actor string) (incident.Incident, error) {
	now := h.now().UTC()
	inc, err := h.store.PatchIncident(ctx, id, version, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		return p.apply(inc, actor, now)
	})
	if err == nil && p.Status != nil {
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

// incidentPatch is a checked PATCH /incidents/{id}: the body and its
// values parsed.
type incidentPatch struct {
	patchBody
	status incident.Status
	class  incident.Classification
	sev    alert.Severity
	tags   []string
}

// parse checks the body's fields, naming the one at fault.
func (b patchBody) parse() (incidentPatch, error) {
	p := incidentPatch{patchBody: b}
	if b.Status == nil && b.Owner == nil && b.Classification == nil && b.Severity == nil && b.Tags == nil {
		return p, badRequest("give at least one of status, owner, classification, severity, tags")
	}
	var ok bool
	if b.Status != nil {
		if p.status, ok = incident.ParseStatus(*b.Status); !ok {
			return p, badField("status", "must be Active, InProgress, Resolved or Dismissed")
		}
	}
	if b.Classification != nil {
		p.class = incident.Classification(*b.Classification)
		if *b.Classification != "" && !p.class.Valid() {
			return p, badField("classification", "must be TruePositive, BenignPositive, FalsePositive or Undetermined (or empty to clear)")
		}
	}
	if b.Severity != nil {
		if p.sev, ok = alert.ParseSeverity(*b.Severity); !ok {
			return p, badField("severity", "must be Informational, Low, Medium, High or Critical")
		}
	}
	if b.Owner != nil && len(*b.Owner) > maxOwnerLen {
		return p, badField("owner", "longer than 256 characters")
	}
	var err error
	if b.Tags != nil {
		p.tags, err = checkTags(*b.Tags)
	}
	return p, err
}

// apply makes the patch's changes to inc, by actor at now, and returns a
// timeline entry per changed field.
func (p incidentPatch) apply(inc *incident.Incident, actor string, now time.Time) ([]incident.TimelineEntry, error) {
	var tl []incident.TimelineEntry
	rec := func(action, from, to string) {
		tl = append(tl, incident.TimelineEntry{At: now, Actor: actor, Action: action, From: from, To: to})
	}
	if p.Status != nil && p.status != inc.Status {
		if !incident.CanTransition(inc.Status, p.status) {
			return nil, fmt.Errorf("%s → %s: %w", inc.Status, p.status, incident.ErrTransition)
		}
		rec("status changed", string(inc.Status), string(p.status))
		inc.Status = p.status
	}
	if p.Owner != nil && strings.TrimSpace(*p.Owner) != inc.Owner {
		rec("owner changed", inc.Owner, strings.TrimSpace(*p.Owner))
		inc.Owner = strings.TrimSpace(*p.Owner)
	}
	if p.Classification != nil && p.class != inc.Classification {
		rec("classification changed", string(inc.Classification), string(p.class))
		inc.Classification = p.class
	}
	if p.Severity != nil && (p.sev != inc.Severity || inc.SeveritySetBy == "") {
		rec("severity changed", inc.Severity.String(), p.sev.String())
		inc.Severity, inc.SeveritySetBy = p.sev, actor
	}
	if p.Tags != nil && !slices.Equal(p.tags, inc.Tags) {
		rec("tags changed", strings.Join(inc.Tags, ", "), strings.Join(p.tags, ", "))
		inc.Tags = p.tags
	}
	if len(tl) > 0 {
		inc.UpdatedAt, inc.UpdatedBy = now, actor
	}
	return tl, nil
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
