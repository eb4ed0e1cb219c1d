package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/investigate"
)

// maxKeyDays bounds the key-days one key's history reads: one per day of
// the investigation reach, both ends included.
const maxKeyDays = dynamostore.InvestigationDays + 1

// entityReply is GET /entities/{type}/{value}.
type entityReply struct {
	Key                string           `json:"key"`
	Type               string           `json:"type"`
	Value              string           `json:"value"`
	From               string           `json:"from"`
	To                 string           `json:"to"`
	FirstSeen          *time.Time       `json:"firstSeen,omitempty"`
	LastSeen           *time.Time       `json:"lastSeen,omitempty"`
	AlertCount         int              `json:"alertCount"`
	Days               int              `json:"days"`
	Truncated          bool             `json:"truncated"`
	Noisy              bool             `json:"noisy"`
	NoisySince         *time.Time       `json:"noisySince,omitempty"`
	NoisyDays          []string         `json:"noisyDays"`
	Resources          []string         `json:"resources"`
	ResourcesTruncated bool             `json:"resourcesTruncated"`
	Incidents          []entityIncident `json:"incidents"`
	Alerts             []entityAlert    `json:"alerts"`
	Cursor             string           `json:"cursor,omitempty"`
}

// entityIncident is an incident that alerts naming the entity live in.
type entityIncident struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Severity      string    `json:"severity"`
	Status        string    `json:"status"`
	FirstActivity time.Time `json:"firstActivity"`
	LastActivity  time.Time `json:"lastActivity"`
	Alerts        int       `json:"alerts"` // of those naming the entity
}

// entityAlert is one alert naming the entity, from the key-day index.
type entityAlert struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	FirstSeen  time.Time `json:"firstSeen"`
	Resources  []string  `json:"resources"`
	IncidentID string    `json:"incidentId,omitempty"`
}

var entityParams = []string{"limit", "cursor"}

// getEntity serves GET /entities/{type}/{value}: the entity's history over
// the last InvestigationDays, read from its key-day partition (one Query,
// no Scan), and the incidents its alerts live in.
func (h *Handler) getEntity(ctx context.Context, r *request) (reply, error) {
	typ, value := r.PathValue("type"), r.PathValue("value")
	key, err := investigate.Key(typ, value)
	switch {
	case errors.Is(err, investigate.ErrType):
		return reply{}, badField("type", "must be one of "+strings.Join(investigate.Types, ", "))
	case err != nil:
		return reply{}, badField("value", "is not a valid "+typ)
	}
	limit, from, to, pos, err := h.entityPage(r, key)
	if err != nil {
		return reply{}, err
	}
	kds, err := h.store.KeyHistory(ctx, key, from, to, maxKeyDays)
	if err != nil {
		return reply{}, err
	}
	hist := investigate.Summarise(key, kds)
	page, next := investigate.Page(hist.Sightings, pos, limit)
	rep := entityFrom(hist, typ, from, to)
	if rep.Incidents, rep.Alerts, err = h.entityIncidents(ctx, hist.Sightings, page); err != nil {
		return reply{}, err
	}
	if next != nil {
		b, _ := json.Marshal(next)
		rep.Cursor = h.sign(entityScope(key), string(b), dayStart(from), dayStart(to))
	}
	return jsonReply(http.StatusOK, rep), nil
}

func entityScope(key alert.Key) string { return scopeHash("entity", string(key)) }

func dayStart(day string) time.Time {
	t, _ := time.Parse(correlate.DayLayout, day)
	return t
}

// entityPage reads limit and cursor; a cursor keeps the first page's days.
func (h *Handler) entityPage(r *request, key alert.Key) (int, string, string, *investigate.Position, error) {
	q := queryValues(r)
	for k := range q {
		if !slices.Contains(entityParams, k) {
			return 0, "", "", nil, badField(k, "unknown query parameter; this resource accepts "+strings.Join(entityParams, ", "))
		}
	}
	limit := defaultLimit
	if l := values(q, "limit"); len(l) > 0 {
		n, err := strconv.Atoi(l[0])
		if err != nil || n < 1 || n > maxLimit || len(l) > 1 {
			return 0, "", "", nil, badField("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
		limit = n
	}
	now := h.now().UTC()
	from, to := correlate.Day(now.AddDate(0, 0, -dynamostore.InvestigationDays)), correlate.Day(now)
	c := values(q, "cursor")
	if len(c) == 0 {
		return limit, from, to, nil, nil
	}
	p, err := h.verify(c[0], entityScope(key))
	var pos investigate.Position
	if err != nil || len(c) > 1 || json.Unmarshal([]byte(p.Pos), &pos) != nil {
		return 0, "", "", nil, errBadCursor
	}
	return limit, correlate.Day(time.Unix(0, p.Since)), correlate.Day(time.Unix(0, p.Until)), &pos, nil
}

func entityFrom(hist investigate.History, typ, from, to string) entityReply {
	rep := entityReply{Key: string(hist.Key), Type: typ, Value: strings.SplitN(string(hist.Key), ":", 2)[1],
		From: from, To: to, AlertCount: hist.Alerts, Days: hist.Days, Truncated: hist.Full,
		Noisy: hist.Noisy, NoisyDays: hist.NoisyDays, Resources: nonNil(hist.Resources), ResourcesTruncated: hist.ResourcesCut}
	if hist.Alerts > 0 {
		rep.FirstSeen, rep.LastSeen = &hist.FirstSeen, &hist.LastSeen
	}
	if hist.Noisy {
		since := hist.NoisySince.UTC()
		rep.NoisySince = &since
	}
	return rep
}

// entityIncidents resolves the groups the entity's alerts joined to the
// incidents they live in now: those of the page's alerts, and of the newest
// alerts until investigate.MaxGroups groups are named.
func (h *Handler) entityIncidents(ctx context.Context, all, page []investigate.Sighting) ([]entityIncident, []entityAlert, error) {
	refs := investigate.Refs(map[alert.Key][]investigate.Sighting{"": all})
	for _, s := range page {
		refs = append(refs, investigate.Ref{AlertID: s.AlertID, Group: s.Group})
	}
	where, err := investigate.Resolve(ctx, h.store.LoadGroups, refs)
	if err != nil {
		return nil, nil, err
	}
	incs := []entityIncident{}
	index := map[string]int{}
	for _, s := range all {
		g := where[s.AlertID]
		if g == nil || !g.IsIncident {
			continue
		}
		i, ok := index[g.ID()]
		if !ok {
			inc := g.Incident
			i = len(incs)
			index[g.ID()] = i
			incs = append(incs, entityIncident{ID: inc.ID, Title: inc.Title, Severity: inc.Severity.String(),
				Status: string(inc.Status), FirstActivity: inc.FirstActivity.UTC(), LastActivity: inc.LastActivity.UTC()})
		}
		incs[i].Alerts++
	}
	alerts := make([]entityAlert, 0, len(page))
	for _, s := range page {
		a := entityAlert{ID: s.AlertID, Name: s.Name, FirstSeen: s.FirstSeen, Resources: nonNil(s.Resources)}
		if g := where[s.AlertID]; g != nil && g.IsIncident {
			a.IncidentID = g.ID()
		}
		alerts = append(alerts, a)
	}
	return incs, alerts, nil
}
