package handler

import (
	"context"
	"net/http"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/investigate"
)

// relatedReply is GET /incidents/{id}/related.
type relatedReply struct {
	ID    string        `json:"id"`
	Keys  []string      `json:"keys"` // the incident's keys whose history was read
	From  string        `json:"from"`
	To    string        `json:"to"`
	Items []relatedItem `json:"items"`
}

type relatedItem struct {
	entityIncident
	// Gap is the time between the two incidents' activity (0 when they
	// overlap), in seconds and as text.
	GapSeconds int64       `json:"gapSeconds"`
	Gap        string      `json:"gap"`
	Shared     []sharedKey `json:"shared"`
	Noisy      bool        `json:"noisy"` // some shared key was noisy
}

type sharedKey struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Noisy  bool   `json:"noisy"`
	Alerts int    `json:"alerts"`
}

// relatedIncidents serves GET /incidents/{id}/related: incidents whose
// alerts share a key (a resource, an IP, an account…) with this one within
// InvestigationDays of its activity — kept apart by the correlation window,
// a noisy key or an analyst. It reads the incident, one Query per key (at
// most investigate.MaxKeys) and the groups the keys' alerts joined.
func (h *Handler) relatedIncidents(ctx context.Context, r *request) (reply, error) {
	inc, err := h.store.GetIncident(ctx, r.PathValue("id"))
	if err != nil {
		return reply{}, err
	}
	reach := time.Duration(dynamostore.InvestigationDays) * 24 * time.Hour
	from, to := correlate.Day(inc.FirstActivity.Add(-reach)), correlate.Day(inc.LastActivity.Add(reach))
	keys := investigate.IncidentKeys(&inc)
	hist := map[alert.Key][]investigate.Sighting{}
	noisy := map[string]bool{}
	for _, k := range keys {
		kds, err := h.store.KeyHistory(ctx, k, from, to, 2*maxKeyDays)
		if err != nil {
			return reply{}, err
		}
		for _, kd := range kds {
			noisy[string(k)+"\x00"+kd.Day] = kd.Noisy
		}
		hist[k] = investigate.Summarise(k, kds).Sightings
	}
	where, err := investigate.Resolve(ctx, h.store.LoadGroups, investigate.Refs(hist))
	if err != nil {
		return reply{}, err
	}
	rep := relatedReply{ID: inc.ID, Keys: []string{}, From: from, To: to, Items: []relatedItem{}}
	for _, k := range keys {
		rep.Keys = append(rep.Keys, string(k))
	}
	for _, rel := range investigate.Related(&inc, hist, noisy, where) {
		rep.Items = append(rep.Items, relatedOf(rel))
	}
	return jsonReply(http.StatusOK, rep), nil
}

func relatedOf(rel investigate.Relation) relatedItem {
	inc := rel.Incident
	it := relatedItem{entityIncident: entityIncident{ID: inc.ID, Title: inc.Title, Severity: inc.Severity.String(),
		Status: string(inc.Status), FirstActivity: inc.FirstActivity.UTC(), LastActivity: inc.LastActivity.UTC()},
		GapSeconds: int64(rel.Gap / time.Second), Gap: rel.Gap.Round(time.Minute).String()}
	for _, k := range rel.Keys {
		it.Shared = append(it.Shared, sharedKey{Key: string(k.Key), Kind: k.Key.Kind(), Noisy: k.Noisy, Alerts: k.Alerts})
		it.Alerts = max(it.Alerts, k.Alerts)
		it.Noisy = it.Noisy || k.Noisy
	}
	return it
}
