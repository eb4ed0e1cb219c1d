package handler

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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
	if b.Status == nil && b.Owner == nil && b.Classification == nil && b.Severity == nil && b.Tags == nil {
		return reply{}, badRequest("give at least one of status, owner, classification, severity, tags")
	}
	var status incident.Status
	if b.Status != nil {
		s, ok := incident.ParseStatus(*b.Status)
		if !ok {
			return reply{}, badField("status", "must be Active, InProgress, Resolved or Dismissed")
		}
		status = s
	}
	var class incident.Classification
	if b.Classification != nil {
		class = incident.Classification(*b.Classification)
		if *b.Classification != "" && !class.Valid() {
			return reply{}, badField("classification", "must be TruePositive, BenignPositive, FalsePositive or Undetermined (or empty to clear)")
		}
	}
	var sev alert.Severity
	if b.Severity != nil {
		s, ok := alert.ParseSeverity(*b.Severity)
		if !ok {
			return reply{}, badField("severity", "must be Informational, Low, Medium, High or Critical")
		}
		sev = s
	}
	if b.Owner != nil && len(*b.Owner) > maxOwnerLen {
		return reply{}, badField("owner", "longer than 256 characters")
	}
	var tags []string
	if b.Tags != nil {
		if tags, err = checkTags(*b.Tags); err != nil {
			return reply{}, err
		}
	}
	actor := r.principal.Name
	now := h.now().UTC()
	inc, err := h.store.PatchIncident(ctx, id, version, func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		var tl []incident.TimelineEntry
		rec := func(action, from, to string) {
			tl = append(tl, incident.TimelineEntry{At: now, Actor: actor, Action: action, From: from, To: to})
		}
		if b.Status != nil && status != inc.Status {
			if !incident.CanTransition(inc.Status, status) {
				return nil, fmt.Errorf("%s → %s: %w", inc.Status, status, incident.ErrTransition)
			}
			rec("status changed", string(inc.Status), string(status))
			inc.Status = status
		}
		if b.Owner != nil && strings.TrimSpace(*b.Owner) != inc.Owner {
			rec("owner changed", inc.Owner, strings.TrimSpace(*b.Owner))
			inc.Owner = strings.TrimSpace(*b.Owner)
		}
		if b.Classification != nil && class != inc.Classification {
			rec("classification changed", string(inc.Classification), string(class))
			inc.Classification = class
		}
		if b.Severity != nil && (sev != inc.Severity || inc.SeveritySetBy == "") {
			rec("severity changed", inc.Severity.String(), sev.String())
			inc.Severity = sev
			inc.SeveritySetBy = actor
		}
		if b.Tags != nil && !slices.Equal(tags, inc.Tags) {
			rec("tags changed", strings.Join(inc.Tags, ", "), strings.Join(tags, ", "))
			inc.Tags = tags
		}
		if len(tl) > 0 {
			inc.UpdatedAt, inc.UpdatedBy = now, actor
		}
		return tl, nil
	})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, incidentItem{Kind: string(listing.KindIncident), Incident: &inc}).with("ETag", etag(inc.Version)), nil
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
