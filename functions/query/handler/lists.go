package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/listing"
)

// List limits.
const (
	defaultLimit     = 50
	maxLimit         = 200
	maxFilterValues  = 25
	defaultListSince = 90 * 24 * time.Hour
	// maxListWindow bounds how far back since goes and how long since..until
	// is; maxListAhead how far ahead of now either may be (an alert's
	// lastSeen may run a little ahead of this clock). Together they keep a
	// list within dynamostore.MaxListMonths month partitions.
	maxListWindow = 731 * 24 * time.Hour
	maxListAhead  = 24 * time.Hour
)

// listResponse is the shape of every list.
type listResponse struct {
	Items  []any  `json:"items"`
	Cursor string `json:"cursor,omitempty"`
}

// alertItem is an alert in a list or detail, tagged with its kind; inside
// an incident's alert list it carries why it joined.
type alertItem struct {
	Kind string `json:"kind"`
	*alert.Alert
	Reason     string               `json:"reason,omitempty"`
	Membership *incident.Membership `json:"membership,omitempty"`
}

// incidentItem is an incident in a list, tagged with its kind.
type incidentItem struct {
	Kind string `json:"kind"`
	*incident.Incident
}

// queryValues returns the query parameters, each with every value given.
func queryValues(r *request) map[string][]string { return r.URL.Query() }

// listQuery is a parsed list request.
type listQuery struct {
	filter listing.Filter
	limit  int
	after  string // store position
	scope  string // what a cursor must belong to
}

// unsplit filters take each parameter value whole (names may hold commas);
// the others also split values on commas.
var unsplit = map[string]bool{"name": true, "type": true}

func values(q map[string][]string, name string) []string {
	var out []string
	for _, v := range q[name] {
		parts := []string{v}
		if !unsplit[name] {
			parts = strings.Split(v, ",")
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseTime reads an RFC 3339 time or a duration back from now ("30m",
// "24h", "7d").
func parseTime(v string, now time.Time) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 3650 {
			return time.Time{}, false
		}
		return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), true
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, false
	}
	return now.Add(-d).UTC(), true
}

// parseList reads the filters a list accepts (allowed), the limit and the
// cursor. statuses says which status names are valid.
func (h *Handler) parseList(r *request, list string, allowed []string, statuses func(string) (string, bool)) (listQuery, error) {
	q := queryValues(r)
	var lq listQuery
	for k := range q {
		if !slices.Contains(allowed, k) {
			return lq, badField(k, "unknown query parameter; this list accepts "+strings.Join(allowed, ", "))
		}
	}
	f := &lq.filter
	type norm func(string) (string, bool)
	canon := func(name string, dst *[]string, fn norm, what string) error {
		vs := values(q, name)
		if len(vs) > maxFilterValues {
			return badField(name, "at most "+strconv.Itoa(maxFilterValues)+" values")
		}
		for _, v := range vs {
			c, ok := fn(v)
			if !ok {
				return badField(name, "unknown value; expected "+what)
			}
			if !slices.Contains(*dst, c) {
				*dst = append(*dst, c)
			}
		}
		return nil
	}
	same := func(v string) (string, bool) { return v, len(v) <= 512 }
	sev := func(v string) (string, bool) {
		s, ok := alert.ParseSeverity(v)
		return s.String(), ok
	}
	prov := func(v string) (string, bool) {
		v = strings.ToLower(v)
		return v, alert.KnownProvider(v)
	}
	res := func(v string) (string, bool) { return alert.CanonicalResourceID(v, ""), len(v) <= 2048 }
	tac := func(v string) (string, bool) {
		s, ok := killchain.Parse(v)
		return s.String(), ok
	}
	for _, c := range []struct {
		name string
		dst  *[]string
		fn   norm
		what string
	}{
		{"name", &f.Names, same, "a name"},
		{"type", &f.Types, same, "a detection type"},
		{"severity", &f.Severities, sev, "Informational, Low, Medium, High or Critical"},
		{"status", &f.Statuses, statuses, "a status"},
		{"provider", &f.Providers, prov, strings.Join(alert.Providers, ", ")},
		{"resource", &f.Resources, res, "a resource id"},
		{"tactic", &f.Tactics, tac, "a kill-chain stage"},
		{"incident", &f.Incidents, same, "an incident id"},
		{"owner", &f.Owners, same, "an owner"},
		{"tag", &f.Tags, tagValue, "a tag (1–64 of A-Z a-z 0-9 : . _ / -)"},
	} {
		if err := canon(c.name, c.dst, c.fn, c.what); err != nil {
			return lq, err
		}
	}
	if v := values(q, "minConfidence"); len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 || n > 100 || len(v) > 1 {
			return lq, badField("minConfidence", "must be an integer from 0 to 100")
		}
		f.MinConfidence = n
	}
	if k := values(q, "kind"); len(k) > 0 {
		if len(k) > 1 || !slices.Contains([]string{"alert", "incident", "all"}, k[0]) {
			return lq, badField("kind", "must be alert, incident or all")
		}
		f.Kind = listing.Kind(k[0])
	}
	lq.limit = defaultLimit
	if l := values(q, "limit"); len(l) > 0 {
		n, err := strconv.Atoi(l[0])
		if err != nil || n < 1 || n > maxLimit || len(l) > 1 {
			return lq, badField("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
		lq.limit = n
	}
	rawSince, rawUntil := strings.Join(values(q, "since"), ","), strings.Join(values(q, "until"), ",")
	var err error
	if f.Since, f.Until, err = parseWindow(rawSince, rawUntil, h.now()); err != nil {
		return lq, err
	}
	lq.scope = filterScope(list, *f, rawSince, rawUntil)
	if c := values(q, "cursor"); len(c) > 0 {
		p, err := h.verify(c[0], lq.scope)
		if err != nil {
			return lq, err
		}
		lq.after = p.Pos
		f.Since = time.Unix(0, p.Since).UTC()
		f.Until = time.Time{}
		if p.Until != 0 {
			f.Until = time.Unix(0, p.Until).UTC()
		}
	}
	return lq, nil
}

// parseWindow reads since (default: defaultListSince ago) and until (zero
// when not given) and bounds them with checkWindow.
func parseWindow(rawSince, rawUntil string, now time.Time) (since, until time.Time, err error) {
	since = now.Add(-defaultListSince).UTC()
	for _, p := range []struct {
		name, raw string
		dst       *time.Time
	}{{"since", rawSince, &since}, {"until", rawUntil, &until}} {
		if p.raw == "" {
			continue
		}
		t, ok := parseTime(p.raw, now)
		if !ok {
			return since, until, badField(p.name, "must be an RFC 3339 time or a duration such as 24h or 7d")
		}
		*p.dst = t
	}
	return since, until, checkWindow(since, until, now)
}

// checkWindow bounds a list's time window, naming the parameter and the
// limit: each month of the window is one index partition to read, so a
// read token must not be able to ask for thousands of them.
func checkWindow(since, until, now time.Time) error {
	switch {
	case since.Before(now.Add(-maxListWindow)):
		return outOfRange("since", "at most 731 days back (each month of the window is one index partition to read)", "731d")
	case since.After(now.Add(maxListAhead)):
		return outOfRange("since", "at most 1 day ahead of now", "24h")
	case until.IsZero():
		return nil
	case until.After(now.Add(maxListAhead)):
		return outOfRange("until", "at most 1 day ahead of now (each month of the window is one index partition to read)", "24h")
	case until.Before(since):
		return badField("until", "is before since")
	case until.Sub(since) > maxListWindow:
		return outOfRange("until", "at most 731 days after since (each month of the window is one index partition to read)", "731d")
	}
	return nil
}

// filterScope identifies a list and its filters (times as the caller gave
// them) for cursor binding.
func filterScope(list string, f listing.Filter, rawSince, rawUntil string) string {
	f.Since, f.Until = time.Time{}, time.Time{}
	for _, l := range [][]string{f.Names, f.Types, f.Severities, f.Statuses,
		f.Providers, f.Resources, f.Tactics, f.Incidents, f.Owners, f.Tags} {
		sort.Strings(l)
	}
	fb, _ := json.Marshal(f)
	return scopeHash(list, string(fb), rawSince, rawUntil)
}

func (h *Handler) cursorFor(lq listQuery, next string) string {
	if next == "" {
		return ""
	}
	return h.sign(lq.scope, next, lq.filter.Since, lq.filter.Until)
}

func untilNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func alertStatus(v string) (string, bool) {
	if s, ok := alert.ParseStatus(v); ok {
		return string(s), true
	}
	return "", false
}

func incidentStatus(v string) (string, bool) {
	if s, ok := incident.ParseStatus(v); ok {
		return string(s), true
	}
	return "", false
}

func anyStatus(v string) (string, bool) {
	if s, ok := incidentStatus(v); ok {
		return s, true
	}
	return alertStatus(v)
}

var alertListParams = []string{"name", "type", "severity", "status", "provider", "resource", "tactic", "incident", "since", "until", "kind", "limit", "cursor"}
var incidentListParams = []string{"status", "severity", "resource", "tactic", "provider", "owner", "tag", "minConfidence", "since", "until", "limit", "cursor"}

func tagValue(v string) (string, bool) { return v, incident.ValidTag(v) }

func pageItems(p listing.Page, reasons map[string]incident.Membership) []any {
	items := make([]any, 0, len(p.Items))
	for _, it := range p.Items {
		if it.Kind == listing.KindIncident {
			items = append(items, incidentItem{Kind: string(listing.KindIncident), Incident: it.Incident})
			continue
		}
		ai := alertItem{Kind: string(listing.KindAlert), Alert: it.Alert}
		if reasons != nil {
			if m, ok := reasons[it.Alert.ID]; ok {
				ai.Reason, ai.Membership = m.Reason, &m
			} else if it.Membership != nil {
				ai.Reason, ai.Membership = it.Membership.Reason, it.Membership
			}
		}
		items = append(items, ai)
	}
	return items
}

func (h *Handler) listAlerts(ctx context.Context, r *request) (reply, error) {
	q := queryValues(r)
	statuses := alertStatus
	if k := values(q, "kind"); len(k) == 1 && k[0] != "alert" {
		statuses = anyStatus
	}
	lq, err := h.parseList(r, "alerts", alertListParams, statuses)
	if err != nil {
		return reply{}, err
	}
	page, err := h.store.ListAlerts(ctx, lq.filter, lq.limit, lq.after)
	if err != nil {
		return reply{}, err
	}
	return conditional(r, listResponse{Items: pageItems(page, nil), Cursor: h.cursorFor(lq, page.Next)})
}

func (h *Handler) listIncidents(ctx context.Context, r *request) (reply, error) {
	lq, err := h.parseList(r, "incidents", incidentListParams, incidentStatus)
	if err != nil {
		return reply{}, err
	}
	page, err := h.store.ListIncidents(ctx, lq.filter, lq.limit, lq.after)
	if err != nil {
		return reply{}, err
	}
	return conditional(r, listResponse{Items: pageItems(page, nil), Cursor: h.cursorFor(lq, page.Next)})
}

// incidentAlertsFilter lists an incident's alerts whatever their age.
func incidentAlertsFilter(id string) listing.Filter {
	return listing.Filter{Kind: listing.KindAlert, Incidents: []string{id}, Since: time.Unix(0, 0).UTC()}
}

func membersByAlert(ms []incident.Membership) map[string]incident.Membership {
	out := make(map[string]incident.Membership, len(ms))
	for _, m := range ms {
		out[m.AlertID] = m
	}
	return out
}

func (h *Handler) incidentAlerts(ctx context.Context, r *request) (reply, error) {
	id := r.PathValue("id")
	members, err := h.store.IncidentMembers(ctx, id)
	if err != nil {
		return reply{}, err
	}
	lq, err := h.parseList(r, "incident-alerts:"+id, []string{"limit", "cursor"}, alertStatus)
	if err != nil {
		return reply{}, err
	}
	f := incidentAlertsFilter(id)
	lq.filter = f
	page, err := h.store.ListAlerts(ctx, f, lq.limit, lq.after)
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, listResponse{Items: pageItems(page, membersByAlert(members)), Cursor: h.cursorFor(lq, page.Next)}), nil
}

// allIncidentAlerts reads up to max alerts of an incident.
func (h *Handler) allIncidentAlerts(ctx context.Context, id string, max int) ([]alert.Alert, error) {
	var out []alert.Alert
	after := ""
	for len(out) < max {
		page, err := h.store.ListAlerts(ctx, incidentAlertsFilter(id), maxLimit, after)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if it.Alert != nil {
				out = append(out, *it.Alert)
			}
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

func (h *Handler) getAlert(ctx context.Context, r *request) (reply, error) {
	a, err := h.store.GetAlert(ctx, r.PathValue("id"))
	if err != nil {
		return reply{}, err
	}
	item := alertItem{Kind: string(listing.KindAlert), Alert: &a}
	if a.IncidentID != "" {
		if ms, err := h.store.IncidentMembers(ctx, a.IncidentID); err == nil {
			if m, ok := membersByAlert(ms)[a.ID]; ok {
				item.Reason, item.Membership = m.Reason, &m
			}
		}
	}
	return jsonReply(http.StatusOK, item), nil
}
