package correlate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// ErrNotFound is returned by a State for a record that does not exist.
var ErrNotFound = errors.New("correlation record not found")

// ErrConflict is returned by a Store when a record changed since it was
// read (optimistic locking); the caller reloads and applies again.
var ErrConflict = errors.New("correlation record changed concurrently")

// DayLayout is the layout of key-day days (UTC).
const DayLayout = "2006-01-02"

// Day returns the UTC day of t as "yyyy-mm-dd".
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// KeyDayID names the key-day record of one correlation key on one UTC day.
type KeyDayID struct {
	Key alert.Key
	Day string
}

// Entry is one alert indexed under a key-day: enough to link a later alert
// to it and to explain the link.
type Entry struct {
	FirstSeen time.Time `json:"t"`
	// Group is the group the alert joined when it was indexed; follow the
	// group's mergedInto to find where it lives now.
	Group string `json:"g"`
	// Name is the alert's display name (shortened), for reasons.
	Name string `json:"n,omitempty"`
	// Resources are the alert's resource ids (at most 3),
	// for noisy-key detection.
	Resources []string `json:"r,omitempty"`
	// Detection identifies what fired (DetectionHash of the source and
	// type), to find a detection repeating on a resource.
	Detection string `json:"d,omitempty"`
}

// DetectionHash is the short, stable form of what raised an alert: its
// source and type (64-bit FNV-1a, base 36).
func DetectionHash(a *alert.Alert) string {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, part := range []string{a.Provider, "\x00", a.Type} {
		for i := 0; i < len(part); i++ {
			h = (h ^ uint64(part[i])) * prime
		}
	}
	return strconv.FormatUint(h, 36)
}

const (
	maxEntryName      = 60
	maxEntryResources = 3
	// MaxEntriesPerKeyDay bounds the alerts indexed under one key on one
	// day, so the record stays well under DynamoDB's 400 KB item limit
	// (an entry is about 120 bytes, at most about 350).
	MaxEntriesPerKeyDay = 800
	// MaxNoisySample bounds the resources a noisy key-day names.
	MaxNoisySample = 10
	// maxMemberName bounds a member's name in the group state, so an
	// incident of MaxAlertsPerIncident members stays under 400 KB.
	maxMemberName = 120
)

// KeyDay is the correlation index of one key on one UTC day: the alerts
// seen with the key (by firstSeen day) and whether the key turned noisy.
type KeyDay struct {
	Key     alert.Key `json:"key"`
	Day     string    `json:"day"`
	Entries Entries   `json:"entries"`
	// Noisy is set when the key linked more than NoisyKeyResources
	// resources within the window; from then on it links nothing within
	// the window of this day.
	Noisy      bool      `json:"noisy,omitempty"`
	NoisySince time.Time `json:"noisySince,omitzero"`
	// NoisyResources is how many distinct resources the key linked within
	// the window when it turned noisy; NoisySample names the first of them
	// (sorted, at most MaxNoisySample), for analysts tuning the threshold.
	NoisyResources int      `json:"noisyResources,omitempty"`
	NoisySample    []string `json:"noisySample,omitempty"`
	// Version is the stored version (0: not stored yet).
	Version int64 `json:"version"`
}

// ID returns the record's id.
func (k *KeyDay) ID() KeyDayID { return KeyDayID{Key: k.Key, Day: k.Day} }

func (k *KeyDay) clone() *KeyDay {
	c := *k
	c.Entries = slices.Clone(k.Entries)
	return &c
}

// Member is one alert of a group: why it joined and the alert fields the
// incident's derived fields are computed from.
type Member struct {
	incident.Membership
	Name      string         `json:"name,omitempty"`
	Provider  string         `json:"provider"`
	Severity  alert.Severity `json:"severity"`
	Stages    killchain.Set  `json:"stages"`
	FirstSeen time.Time      `json:"firstSeen"`
	LastSeen  time.Time      `json:"lastSeen"`
	Status    alert.Status   `json:"status,omitempty"`
	Count     int            `json:"count,omitempty"`
	// Keys are the alert's correlation keys (KeyHash of each) and Blocked
	// those of them that are noisy on its day and link nothing; the rest
	// are the keys it links through. They let the engine recompute the
	// group's links when a key turns noisy.
	Keys    []string `json:"k,omitempty"`
	Blocked []string `json:"kb,omitempty"`
	// Actors are the keys among Keys that name an actor (a public IP, an
	// account or an access key), Hosts those that name a host.
	Actors []string `json:"ka,omitempty"`
	Hosts  []string `json:"kh,omitempty"`
	// Places are the keys among Keys that name where the alert happened: its
	// resources and hosts. They link within the resource window only, and
	// not at all for a routine detection (Routine).
	Places []string `json:"kp,omitempty"`
	// Routine is set when the same detection fired on the same resource
	// on another day within reach (docs/correlation.md, "Routine
	// detections"): the member then links through no place.
	Routine bool `json:"rt,omitempty"`
	// Source is set when the alert's source called it an incident.
	Source bool `json:"si,omitempty"`
	// Posture is set for a posture finding (Posture), which links nothing.
	Posture bool `json:"po,omitempty"`
	// Pin is an analyst's decision about the member: PinIn (it belongs
	// here: it stays with the group's other pinned members and makes the
	// group an incident) or PinOut (taken out of an incident: it links
	// nothing).
	Pin string `json:"pin,omitempty"`
}

// Pins.
const (
	PinIn  = "in"
	PinOut = "out"
)

// Posture reports whether an alert is a posture finding rather than a
// detection of activity: a Security Hub "Software and Configuration
// Checks" finding (a failed control, a package vulnerability) says what
// could happen, not what happened. It is stored and listed but links no
// alerts into incidents.
func Posture(a *alert.Alert) bool {
	return a.Provider == alert.ProviderSecurityHub && strings.HasPrefix(a.Type, "Software and Configuration Checks/")
}

// links reports whether the member links through the key with hash h:
// the key is not noisy on its day, the member is no mass activity, and
// the key is no place of a routine detection.
func (m *Member) links(h string) bool {
	return slices.Contains(m.Keys, h) && !slices.Contains(m.Blocked, h) && !m.inert() &&
		!(m.Routine && m.place(h))
}

// place reports whether the key with hash h names where the member
// happened (a resource or a host).
func (m *Member) place(h string) bool { return slices.Contains(m.Places, h) }

// inert reports whether the member links nothing: mass activity or a
// posture finding.
func (m *Member) inert() bool { return m.Pin == PinOut || m.Posture || m.Mass() }

// Curated reports whether an analyst placed alerts in the group (a merge,
// a move, a created or promoted incident): it is then an incident
// whatever its confidence.
func (g *Group) Curated() bool {
	return slices.ContainsFunc(g.Members, func(m Member) bool { return m.Pin == PinIn })
}

// Mass reports whether the member is part of mass activity: an actor or
// host it names is noisy on its day (a scanner, a CI principal, an office
// address, an internal vulnerability scanner) and no actor it names is
// not. Mass activity links nothing and is weak evidence of an attack.
func (m *Member) Mass() bool {
	return isMass(m.Actors, m.Hosts, func(h string) bool { return slices.Contains(m.Blocked, h) })
}

func isMass(actors, hosts []string, noisy func(string) bool) bool {
	some := false
	for _, h := range actors {
		if !noisy(h) {
			return false
		}
		some = true
	}
	return some || slices.ContainsFunc(hosts, noisy)
}

// KeyHash is the short, stable form of a key kept on members.
func KeyHash(k alert.Key) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:6])
}

// Group is a connected component of linked alerts: the visible Incident
// (the part the API and the responder read) and the correlator's private
// state (members, forced flag). A group with IsIncident false has not
// reached the incident threshold and is invisible.
type Group struct {
	Incident   incident.Incident
	IsIncident bool
	// Forced is set when a member's source already called it an incident.
	Forced  bool
	Members []Member
	// Moved maps alerts that left the group (a split, an analyst's
	// correction) to the group they went to: their key-day entries still
	// point here.
	Moved map[string]string
	// Version is the stored version (0: not stored yet).
	Version int64
	// Opaque is a store's own data about the stored record (such as
	// attributes other writers added), carried unchanged from load to
	// commit. The engine never reads it.
	Opaque any
}

// GroupState is the private part of a Group, stored as the incident item's
// "group" attribute.
type GroupState struct {
	Forced  bool              `json:"forced,omitempty"`
	Members []Member          `json:"members"`
	Moved   map[string]string `json:"moved,omitempty"`
}

// State returns the private part of g.
func (g *Group) State() GroupState {
	return GroupState{Forced: g.Forced, Members: g.Members, Moved: g.Moved}
}

// NewGroupFrom rebuilds a Group from its stored parts.
func NewGroupFrom(inc incident.Incident, st GroupState, isIncident bool, version int64) *Group {
	inc.Version = version
	return &Group{Incident: inc, IsIncident: isIncident, Forced: st.Forced, Members: st.Members, Moved: st.Moved, Version: version}
}

// ID returns the group's id (the incident id).
func (g *Group) ID() string { return g.Incident.ID }

// Member returns the member with alertID.
func (g *Group) Member(alertID string) (Member, bool) {
	if i, ok := g.memberIndex(alertID); ok {
		return g.Members[i], true
	}
	return Member{}, false
}

// memberIndex finds a member by a linear scan: groups hold at most
// MaxAlertsPerIncident members (plus merged ones) and the lookup is only
// needed for re-deliveries, so no index is kept (stored groups are shared
// read-only between goroutines).
func (g *Group) memberIndex(alertID string) (int, bool) {
	for i := range g.Members {
		if g.Members[i].AlertID == alertID {
			return i, true
		}
	}
	return 0, false
}

// MemberIDs returns the ids of the group's alerts, sorted.
func (g *Group) MemberIDs() []string {
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.AlertID
	}
	sort.Strings(out)
	return out
}

// Stages returns the distinct kill-chain stages of the group's alerts.
func (g *Group) Stages() killchain.Set {
	var s killchain.Set
	for _, m := range g.Members {
		s = s.Union(m.Stages)
	}
	return s
}

// Live reports whether the group still grows: not merged into another one.
func (g *Group) Live() bool { return g.Incident.MergedInto == "" }

// clone returns a copy of g that the engine may change: stored groups are
// shared read-only (between goroutines too), so nothing the copy changes
// in place may be shared with g.
func (g *Group) clone() *Group {
	c := *g
	c.Members = slices.Clone(g.Members)
	c.Moved = maps.Clone(g.Moved)
	c.Incident = cloneIncident(g.Incident)
	return &c
}

// cloneIncident copies the lists of inc that the engine changes in place.
func cloneIncident(inc incident.Incident) incident.Incident {
	inc.Resources = cloneResources(inc.Resources)
	inc.Tactics = slices.Clone(inc.Tactics)
	inc.Techniques = slices.Clone(inc.Techniques)
	inc.Entities = slices.Clone(inc.Entities)
	inc.Sources = slices.Clone(inc.Sources)
	inc.Tags = slices.Clone(inc.Tags)
	inc.ConfidenceReasons = slices.Clone(inc.ConfidenceReasons)
	return inc
}

func cloneResources(in []alert.Resource) []alert.Resource {
	out := make([]alert.Resource, len(in))
	for i, r := range in {
		out[i] = r
		if r.Tags != nil {
			out[i].Tags = make(map[string]string, len(r.Tags))
			for k, v := range r.Tags {
				out[i].Tags[k] = v
			}
		}
	}
	return out
}

// GroupIDFor is the deterministic id of a group started by alertID: two
// workers starting the same group compute the same id, so the second
// one's conditional create fails instead of duplicating the group.
func GroupIDFor(alertID string) string {
	const prefix = "muster-group\x00"
	var buf [128]byte
	h := sha256.Sum256(append(append(buf[:0], prefix...), alertID...))
	var out [24]byte
	hex.Encode(out[:], h[:12])
	return string(out[:])
}

// State is what the engine reads: key-day records and groups. It returns
// ErrNotFound for records that do not exist. The engine never modifies the
// values it gets; it works on copies and returns the new versions in
// Changes.
type State interface {
	KeyDay(id KeyDayID) (*KeyDay, error)
	Group(id string) (*Group, error)
}
