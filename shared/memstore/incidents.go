package memstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
)

// ErrBadPosition is returned for a list position this store did not issue.
var ErrBadPosition = errors.New("invalid list position")

// incidentRecord is a stored incident (group) item.
type incidentRecord struct {
	Incident   incident.Incident     `json:"incident"`
	Members    []incident.Membership `json:"members"`
	IsIncident bool                  `json:"isIncident"`
	Version    int64                 `json:"version"`
}

const (
	pkIncident = "INCIDENT#"
	skIncident = "INCIDENT"
	skTimeline = "TL#"
	skComment  = "COMMENT#"
	skResponse = "RESPONSE#"
)

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sortTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// SeedIncident stores a visible incident with its memberships (version
// inc.Version, 1 when zero).
func (s *Store) SeedIncident(ctx context.Context, inc incident.Incident, members []incident.Membership) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inc.Version == 0 {
		inc.Version = 1
	}
	s.put(pkIncident+inc.ID, skIncident, incidentRecord{Incident: inc, Members: members, IsIncident: true, Version: inc.Version})
	return nil
}

func (s *Store) visible(id string) (incidentRecord, error) {
	var r incidentRecord
	if !s.get(pkIncident+id, skIncident, &r) || !r.IsIncident {
		return r, fmt.Errorf("incident %s: %w", id, incident.ErrNotFound)
	}
	r.Incident.Version = r.Version
	return r, nil
}

// GetIncident returns a visible incident.
func (s *Store) GetIncident(ctx context.Context, id string) (incident.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.visible(id)
	return r.Incident, err
}

// IncidentMembers returns why each alert joined the incident.
func (s *Store) IncidentMembers(ctx context.Context, id string) ([]incident.Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.visible(id)
	return r.Members, err
}

// ListIncidents returns one page of incidents matching f, newest activity
// first (Since defaults to 90 days back, as in the DynamoDB store).
func (s *Store) ListIncidents(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Since.IsZero() {
		f.Since = s.now().Add(-90 * 24 * time.Hour)
	}
	if after != "" && !strings.Contains(after, "#") {
		return listing.Page{}, ErrBadPosition
	}
	type keyed struct {
		key string
		inc incident.Incident
	}
	var all []keyed
	for _, pk := range s.partitions(pkIncident) {
		var r incidentRecord
		if !s.get(pk, skIncident, &r) || !r.IsIncident {
			continue
		}
		r.Incident.Version = r.Version
		if f.MatchIncident(&r.Incident) {
			all = append(all, keyed{sortTime(r.Incident.LastActivity) + "#" + r.Incident.ID, r.Incident})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key > all[j].key })
	var page listing.Page
	for i, k := range all {
		if after != "" && k.key >= after {
			continue
		}
		if len(page.Items) == limit {
			page.Next = all[i-1].key
			break
		}
		inc := k.inc
		page.Items = append(page.Items, listing.Item{Kind: listing.KindIncident, Incident: &inc})
	}
	return page, nil
}

// PatchIncident applies change if the stored version is version and
// stores the result as version+1 with the timeline entries change returns.
func (s *Store) PatchIncident(ctx context.Context, id string, version int64, change func(*incident.Incident) ([]incident.TimelineEntry, error)) (incident.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.visible(id)
	if err != nil {
		return incident.Incident{}, err
	}
	if r.Version != version {
		return r.Incident, fmt.Errorf("incident %s at version %d, not %d: %w", id, r.Version, version, incident.ErrConflict)
	}
	inc := r.Incident
	entries, err := change(&inc)
	if err != nil || len(entries) == 0 {
		return r.Incident, err
	}
	r.Version++
	inc.Version = r.Version
	r.Incident = inc
	s.put(pkIncident+id, skIncident, r)
	for _, e := range entries {
		s.put(pkIncident+id, skTimeline+sortTime(e.At)+"#"+newID()[:8], e)
	}
	return inc, nil
}

// AddComment stores a comment and its timeline entry.
func (s *Store) AddComment(ctx context.Context, id string, c incident.Comment) (incident.Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.visible(id); err != nil {
		return c, err
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if c.At.IsZero() {
		c.At = s.now().UTC()
	}
	s.put(pkIncident+id, skComment+sortTime(c.At)+"#"+c.ID, c)
	detail := c.Text
	if len([]rune(detail)) > 200 {
		detail = string([]rune(detail)[:200]) + "…"
	}
	s.put(pkIncident+id, skTimeline+sortTime(c.At)+"#"+newID()[:8], incident.TimelineEntry{At: c.At, Actor: c.Author, Action: "commented", Detail: detail})
	return c, nil
}

// AddTimeline records one timeline entry.
func (s *Store) AddTimeline(ctx context.Context, id string, e incident.TimelineEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.visible(id); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	s.put(pkIncident+id, skTimeline+sortTime(e.At)+"#"+newID()[:8], e)
	return nil
}

// AddResponseRequest records a response request and its timeline entry.
func (s *Store) AddResponseRequest(ctx context.Context, r incident.ResponseRequest) (incident.ResponseRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.visible(r.IncidentID); err != nil {
		return r, err
	}
	if r.ID == "" {
		r.ID = newID()
	}
	if r.RequestedAt.IsZero() {
		r.RequestedAt = s.now().UTC()
	}
	s.put(pkIncident+r.IncidentID, skResponse+sortTime(r.RequestedAt)+"#"+r.ID, r)
	s.put(pkIncident+r.IncidentID, skTimeline+sortTime(r.RequestedAt)+"#"+newID()[:8],
		incident.TimelineEntry{At: r.RequestedAt, Actor: r.RequestedBy, Action: "response requested", Detail: r.Playbook})
	return r, nil
}

func collect[T any](s *Store, id, prefix string) ([]T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []T
	var err error
	s.each(pkIncident+id, prefix, false, func(sk string, raw []byte) bool {
		var v T
		if err = json.Unmarshal(raw, &v); err != nil {
			return false
		}
		out = append(out, v)
		return true
	})
	if len(out) > 500 {
		out = out[len(out)-500:]
	}
	return out, err
}

// Timeline returns the incident's timeline, oldest first.
func (s *Store) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	return collect[incident.TimelineEntry](s, id, skTimeline)
}

// Comments returns the incident's comments, oldest first.
func (s *Store) Comments(ctx context.Context, id string) ([]incident.Comment, error) {
	return collect[incident.Comment](s, id, skComment)
}

// ResponseRequests returns the incident's response requests, oldest first.
func (s *Store) ResponseRequests(ctx context.Context, id string) ([]incident.ResponseRequest, error) {
	return collect[incident.ResponseRequest](s, id, skResponse)
}

// ReportResponse applies report to response request requestID of incident
// id and records a timeline entry by "playbook:<name>" (dynamostore's
// contract).
func (s *Store) ReportResponse(ctx context.Context, id, requestID string, report func(*incident.ResponseRequest) error) (incident.ResponseRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		req   incident.ResponseRequest
		at    string
		found bool
	)
	s.each(pkIncident+id, skResponse, false, func(sk string, raw []byte) bool {
		var r incident.ResponseRequest
		if json.Unmarshal(raw, &r) == nil && r.ID == requestID {
			req, at, found = r, sk, true
			return false
		}
		return true
	})
	if !found {
		return req, fmt.Errorf("response %s of incident %s: %w", requestID, id, incident.ErrNotFound)
	}
	if err := report(&req); err != nil {
		return req, err
	}
	s.put(pkIncident+id, at, req)
	when := s.now().UTC()
	if req.UpdatedAt != nil {
		when = *req.UpdatedAt
	}
	detail := req.Message
	if len([]rune(detail)) > 200 {
		detail = string([]rune(detail)[:200]) + "…"
	}
	s.put(pkIncident+id, skTimeline+sortTime(when)+"#"+newID()[:8], incident.TimelineEntry{At: when,
		Actor: "playbook:" + req.Playbook, Action: "response " + strings.ToLower(string(req.Status)), Detail: detail})
	return req, nil
}
