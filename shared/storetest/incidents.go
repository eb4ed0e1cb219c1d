package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/listing"
)

// IncidentStore is the incident area: what the query API reads and
// changes on incidents.
type IncidentStore interface {
	SeedIncident(ctx context.Context, inc incident.Incident, members []incident.Membership) error
	GetIncident(ctx context.Context, id string) (incident.Incident, error)
	IncidentMembers(ctx context.Context, id string) ([]incident.Membership, error)
	ListIncidents(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error)
	PatchIncident(ctx context.Context, id string, version int64, change func(*incident.Incident) ([]incident.TimelineEntry, error)) (incident.Incident, error)
	AddComment(ctx context.Context, id string, c incident.Comment) (incident.Comment, error)
	AddTimeline(ctx context.Context, id string, e incident.TimelineEntry) error
	Comments(ctx context.Context, id string) ([]incident.Comment, error)
	Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error)
	AddResponseRequest(ctx context.Context, r incident.ResponseRequest) (incident.ResponseRequest, error)
	ResponseRequests(ctx context.Context, id string) ([]incident.ResponseRequest, error)
}

// openIncidents returns a store from newStore as an IncidentStore,
// skipping the test when it is not one.
func openIncidents(t *testing.T, newStore func(t *testing.T) Store) IncidentStore {
	t.Helper()
	return storeAs[IncidentStore](t, newStore, "the incident area")
}

func init() { register("incidents", RunIncidents) }

func testIncident(id string, last time.Time) incident.Incident {
	return incident.Incident{ID: id, Title: "Security incident detected on web-prod-1", Severity: alert.High,
		Status: incident.StatusActive, FirstActivity: last.Add(-time.Hour), LastActivity: last,
		Resources: []alert.Resource{{ID: "i-0a1b2c3d4e5f60718", Name: "web-prod-1"}},
		Tactics:   []killchain.Stage{killchain.InitialAccess, killchain.Execution}, Sources: []string{"guardduty"}, AlertCount: 2}
}

// RunIncidents runs the incident area's conformance tests.
func RunIncidents(t *testing.T, newStore func(t *testing.T) Store) {
	runSubtests(t, newStore, []subtest{
		{"get and members", incidentsGetAndMembers},
		{"patch with version", incidentsPatchWithVersion},
		{"comments timeline responses", incidentsCommentsTimelineResponses},
		{"list pages newest first", incidentsListNewestFirst},
		{"a selective filter still fills the first page", incidentsSelectiveFilterFillsPage},
	})
}

// incidentsGetAndMembers: get and members.
func incidentsGetAndMembers(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	s := openIncidents(t, newStore)
	m := []incident.Membership{{AlertID: "a1", Reason: "started it"}, {AlertID: "a2", Key: "ip:203.0.113.66", LinkedTo: "a1", Reason: "same attacker IP"}}
	if err := s.SeedIncident(ctx, testIncident("i1", base), m); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIncident(ctx, "i1")
	if err != nil || got.ID != "i1" || got.Version != 1 {
		t.Fatalf("get = %+v, %v", got, err)
	}
	members, err := s.IncidentMembers(ctx, "i1")
	if err != nil || len(members) != 2 || members[1].Reason != "same attacker IP" {
		t.Fatalf("members = %+v, %v", members, err)
	}
	if _, err := s.GetIncident(ctx, "nope"); !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
}

// incidentsPatchWithVersion: patch with version.
func incidentsPatchWithVersion(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	s := openIncidents(t, newStore)
	if err := s.SeedIncident(ctx, testIncident("i1", base), nil); err != nil {
		t.Fatal(err)
	}
	change := func(inc *incident.Incident) ([]incident.TimelineEntry, error) {
		inc.Owner = "alice"
		return []incident.TimelineEntry{{At: base, Actor: "bob", Action: "owner changed", To: "alice"}}, nil
	}
	if _, err := s.PatchIncident(ctx, "i1", 5, change); !errors.Is(err, incident.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	got, err := s.PatchIncident(ctx, "i1", 1, change)
	if err != nil || got.Version != 2 || got.Owner != "alice" {
		t.Fatalf("patch = %+v, %v", got, err)
	}
	if again, _ := s.GetIncident(ctx, "i1"); again.Version != 2 || again.Owner != "alice" {
		t.Fatalf("stored = %+v", again)
	}
	refuse := func(inc *incident.Incident) ([]incident.TimelineEntry, error) { return nil, incident.ErrTransition }
	if _, err := s.PatchIncident(ctx, "i1", 2, refuse); !errors.Is(err, incident.ErrTransition) {
		t.Fatalf("refused change: %v", err)
	}
	tl, err := s.Timeline(ctx, "i1")
	if err != nil || len(tl) != 1 || tl[0].Actor != "bob" {
		t.Fatalf("timeline = %+v, %v", tl, err)
	}
	if _, err := s.PatchIncident(ctx, "nope", 1, change); !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

// incidentsCommentsTimelineResponses: comments timeline responses.
func incidentsCommentsTimelineResponses(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	s := openIncidents(t, newStore)
	if err := s.SeedIncident(ctx, testIncident("i1", base), nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.AddComment(ctx, "i1", incident.Comment{At: base.Add(time.Duration(i) * time.Second), Author: "bob", Text: fmt.Sprint("note ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddComment(ctx, "nope", incident.Comment{Text: "x"}); !errors.Is(err, incident.ErrNotFound) {
		t.Fatalf("comment on missing incident: %v", err)
	}
	cs, err := s.Comments(ctx, "i1")
	if err != nil || len(cs) != 3 || cs[0].Text != "note 0" || cs[2].ID == "" {
		t.Fatalf("comments = %+v, %v", cs, err)
	}
	r, err := s.AddResponseRequest(ctx, incident.ResponseRequest{IncidentID: "i1", Playbook: "notify-oncall", RequestedBy: "bob", RequestedAt: base})
	if err != nil || r.ID == "" {
		t.Fatalf("response = %+v, %v", r, err)
	}
	rs, err := s.ResponseRequests(ctx, "i1")
	if err != nil || len(rs) != 1 || rs[0].Playbook != "notify-oncall" {
		t.Fatalf("responses = %+v, %v", rs, err)
	}
	if err := s.AddTimeline(ctx, "i1", incident.TimelineEntry{At: base.Add(time.Minute), Actor: "bob", Action: "suppression rule created"}); err != nil {
		t.Fatal(err)
	}
	tl, _ := s.Timeline(ctx, "i1")
	if len(tl) != 5 || tl[4].Action != "suppression rule created" {
		t.Fatalf("timeline = %+v", tl)
	}
}

// incidentsListNewestFirst: list pages newest first.
func incidentsListNewestFirst(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	s := openIncidents(t, newStore)
	seedIncidents(t, s, 23, "i%02d", base, time.Hour, func(i int) bool { return i%2 == 0 })
	var ids []string
	after := ""
	for pages := 0; pages < 50; pages++ {
		p, err := s.ListIncidents(ctx, listing.Filter{Severities: []string{"Critical"}}, 5, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			ids = append(ids, it.Incident.ID)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if len(ids) != 12 || ids[0] != "i00" || ids[11] != "i22" {
		t.Fatalf("ids = %v", ids)
	}
}

// incidentsSelectiveFilterFillsPage: a selective filter still fills the first page.
func incidentsSelectiveFilterFillsPage(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	// 150 incidents, only the three oldest Critical: the first page of
	// a Critical filter must hold matches, not come back empty with a
	// cursor because the newest items it read were all filtered out.
	s := openIncidents(t, newStore)
	const n = 150
	seedIncidents(t, s, n, "s%03d", base, time.Minute, func(i int) bool { return i >= n-3 })
	p, err := s.ListIncidents(ctx, listing.Filter{Severities: []string{"Critical"}}, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || p.Items[0].Incident.ID != "s147" || p.Items[1].Incident.ID != "s148" || p.Next == "" {
		t.Fatalf("first page = %d items %v, next %q; want s147, s148 and a cursor", len(p.Items), pageIDs(p), p.Next)
	}
	p, err = s.ListIncidents(ctx, listing.Filter{Severities: []string{"Critical"}}, 2, p.Next)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Incident.ID != "s149" || p.Next != "" {
		t.Fatalf("second page = %v, next %q; want s149 and no cursor", pageIDs(p), p.Next)
	}
}

// seedIncidents seeds n incidents with ids from format, each step older
// than the one before (the first at base); those critical picks are
// Critical.
func seedIncidents(t *testing.T, s IncidentStore, n int, format string, base time.Time, step time.Duration, critical func(i int) bool) {
	t.Helper()
	for i := 0; i < n; i++ {
		inc := testIncident(fmt.Sprintf(format, i), base.Add(-time.Duration(i)*step))
		if critical(i) {
			inc.Severity = alert.Critical
		}
		if err := s.SeedIncident(context.Background(), inc, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func pageIDs(p listing.Page) []string {
	var out []string
	for _, it := range p.Items {
		if it.Incident != nil {
			out = append(out, it.Incident.ID)
		} else if it.Alert != nil {
			out = append(out, it.Alert.ID)
		}
	}
	return out
}
