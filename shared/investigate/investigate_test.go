package investigate

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/incident"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func TestKey(t *testing.T) {
	tests := []struct {
		typ, value string
		want       alert.Key
		err        error
	}{
		{"resource", "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718", "res:i-0a1b2c3d4e5f60718", nil},
		{"resource", "i-0a1b2c3d4e5f60718", "res:i-0a1b2c3d4e5f60718", nil},
		{"ip", "::ffff:203.0.113.66", "ip:203.0.113.66", nil},
		{"ip", "2001:DB8::1", "ip:2001:db8::1", nil},
		{"host", "IP-10-0-1-25.ec2.internal", "host:ip-10-0-1-25", nil},
		{"domain", "Evil.Example.", "domain:evil.example", nil},
		{"filehash", "ABCDEF", "filehash:abcdef", nil},
		{"account", "ci-deployer", "account:ci-deployer", nil},
		{"ip", "not-an-ip", "", ErrValue},
		{"resource", " ", "", ErrValue},
		{"process", "sshd", "", ErrType},
		{"ip", "", "", ErrValue},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.value, func(t *testing.T) {
			got, err := Key(tt.typ, tt.value)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Key = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func keyDay(day string, noisy bool, entries map[string]correlate.Entry) *correlate.KeyDay {
	return &correlate.KeyDay{Key: "ip:203.0.113.66", Day: day, Noisy: noisy, NoisySince: t0, Entries: correlate.NewEntries(entries)}
}

// TestPageWalksEverySightingOnce: pages of any size meet, newest first,
// ties broken by alert id.
func TestPageWalksEverySightingOnce(t *testing.T) {
	h := Summarise("ip:203.0.113.66", []*correlate.KeyDay{
		keyDay("2026-11-20", false, map[string]correlate.Entry{"b": {FirstSeen: t0, Group: "g"}, "a": {FirstSeen: t0, Group: "g"}, "c": {FirstSeen: t0.Add(time.Hour), Group: "g"}}),
		keyDay("2026-11-19", false, map[string]correlate.Entry{"d": {FirstSeen: t0.Add(-24 * time.Hour), Group: "g"}}),
	})
	want := []string{"c", "a", "b", "d"}
	for limit := 1; limit <= 5; limit++ {
		var got []string
		var pos *Position
		for range 10 {
			page, next := Page(h.Sightings, pos, limit)
			for _, s := range page {
				got = append(got, s.AlertID)
			}
			if pos = next; pos == nil {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: %v, want %v", limit, got, want)
		}
	}
	if h.Alerts != 4 || h.Days != 2 || !h.FirstSeen.Equal(t0.Add(-24*time.Hour)) || !h.LastSeen.Equal(t0.Add(time.Hour)) {
		t.Errorf("summary %+v", h)
	}
}

func TestSummariseNoisyAndResources(t *testing.T) {
	h := Summarise("ip:203.0.113.66", []*correlate.KeyDay{
		keyDay("2026-11-18", true, map[string]correlate.Entry{"a": {FirstSeen: t0, Resources: []string{"r2", "r1"}}}),
		keyDay("2026-11-20", true, map[string]correlate.Entry{"b": {FirstSeen: t0, Resources: []string{"r1", "r3"}}}),
	})
	if !h.Noisy || !slices.Equal(h.NoisyDays, []string{"2026-11-20", "2026-11-18"}) || !slices.Equal(h.Resources, []string{"r1", "r2", "r3"}) {
		t.Errorf("noisy %v %v, resources %v", h.Noisy, h.NoisyDays, h.Resources)
	}
}

// groups is a LoadGroups over a fixed set, counting its calls.
type groups struct {
	m     map[string]*correlate.Group
	calls int
}

func (g *groups) load(_ context.Context, ids []string) (map[string]*correlate.Group, error) {
	g.calls++
	out := map[string]*correlate.Group{}
	for _, id := range ids {
		if x, ok := g.m[id]; ok {
			out[id] = x
		}
	}
	return out, nil
}

func group(id string, visible bool, mergedInto string, moved map[string]string, first, last time.Time) *correlate.Group {
	return &correlate.Group{IsIncident: visible, Moved: moved,
		Incident: incident.Incident{ID: id, MergedInto: mergedInto, FirstActivity: first, LastActivity: last}}
}

// TestResolveFollowsMergesAndMoves: an alert indexed under the group it
// first joined is found where it lives now.
func TestResolveFollowsMergesAndMoves(t *testing.T) {
	g := &groups{m: map[string]*correlate.Group{
		"g1": group("g1", true, "g2", nil, t0, t0),
		"g2": group("g2", true, "", map[string]string{"moved": "g3"}, t0, t0),
		"g3": group("g3", true, "", nil, t0, t0),
		"g4": group("g4", false, "", nil, t0, t0),
	}}
	where, err := Resolve(context.Background(), g.load, []Ref{
		{"merged", "g1"}, {"moved", "g2"}, {"stays", "g3"}, {"invisible", "g4"}, {"gone", "g9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for a, x := range where {
		got[a] = x.ID()
	}
	want := map[string]string{"merged": "g2", "moved": "g3", "stays": "g3", "invisible": "g4"}
	if len(got) != len(want) {
		t.Errorf("resolved %v, want %v", got, want)
	}
	for a, id := range want {
		if got[a] != id {
			t.Errorf("%s lives in %q, want %s", a, got[a], id)
		}
	}
	if g.calls > 3 {
		t.Errorf("%d load rounds, want one per hop (at most 3)", g.calls)
	}
}

// TestRelated: incidents sharing keys, with the noisy flag of the day the
// shared alert was indexed on and the gap between activities; the incident
// itself and invisible groups are left out.
func TestRelated(t *testing.T) {
	self := &incident.Incident{ID: "self", FirstActivity: t0, LastActivity: t0.Add(time.Hour)}
	where := map[string]*correlate.Group{
		"s1": group("self", true, "", nil, t0, t0.Add(time.Hour)),
		"o1": group("old", true, "", nil, t0.Add(-72*time.Hour), t0.Add(-48*time.Hour)),
		"o2": group("old", true, "", nil, t0.Add(-72*time.Hour), t0.Add(-48*time.Hour)),
		"n1": group("near", true, "", nil, t0.Add(30*time.Minute), t0.Add(2*time.Hour)),
		"x1": group("small", false, "", nil, t0, t0),
	}
	hist := map[alert.Key][]Sighting{
		"ip:203.0.113.66":        {{AlertID: "s1", Day: "2026-11-20"}, {AlertID: "o1", Day: "2026-11-18"}, {AlertID: "n1", Day: "2026-11-20"}, {AlertID: "x1", Day: "2026-11-20"}},
		"res:i-0a1b2c3d4e5f6071": {{AlertID: "o2", Day: "2026-11-17"}},
	}
	noisy := map[string]bool{"ip:203.0.113.66\x002026-11-18": true}
	rels := Related(self, hist, noisy, where)
	if len(rels) != 2 || rels[0].Incident.ID != "near" || rels[1].Incident.ID != "old" {
		t.Fatalf("related %+v, want near then old", rels)
	}
	if rels[0].Gap != 0 || rels[1].Gap != 48*time.Hour {
		t.Errorf("gaps %s %s, want 0 and 48h", rels[0].Gap, rels[1].Gap)
	}
	old := rels[1].Keys
	if len(old) != 2 || old[0].Key != "ip:203.0.113.66" || !old[0].Noisy || old[1].Noisy || old[1].Alerts != 1 {
		t.Errorf("old incident's shared keys %+v", old)
	}
	if rels[0].Keys[0].Noisy {
		t.Error("the near incident's IP was not noisy on its day")
	}
}
