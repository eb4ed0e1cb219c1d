// Package listing defines the filters and pages of Muster's list queries
// (GET /alerts, GET /incidents, an incident's alerts): what a filter means,
// independent of how a store evaluates it.
//
// A Filter holds, per attribute, a list of accepted values: values within
// one attribute are alternatives (OR), different attributes must all match
// (AND); an empty list does not constrain. Since and Until bound the last
// activity (an alert's lastSeen, an incident's lastActivity), both
// inclusive. MatchAlert and MatchIncident are the reference semantics: a
// store may evaluate a filter with index keys and filter expressions, but
// it must return exactly the items these functions accept.
//
// Attribute meanings:
//
//	name      alert name, or incident title (exact)
//	type      alert detection type (exact); incidents have none, so a type filter excludes them
//	severity  severity name
//	status    alert status (Active, Resolved, Dismissed) or incident status (Active, InProgress, Resolved, Dismissed)
//	provider  alert provider; for an incident, any of its sources
//	resource  an alert's primary (first) resource id, canonical; for an incident, any of its resources
//	tactic    any of the item's kill-chain stages (canonical names)
//	incident  the alert's incident id; incidents themselves are excluded
//	owner     the incident's owner (incidents only; alerts have none)
//
// An incident merged into another (mergedInto set) is never listed.
//
// Pages are newest first. A store returns at most the requested number of
// items and an opaque position (Page.Next) to resume from; it may return
// fewer items while more remain (filters dropped some of what it read), so
// only an empty Next means the end.
package listing

import (
	"slices"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Kind selects what an alert list holds.
type Kind string

// Kinds.
const (
	KindAlert    Kind = "alert"
	KindIncident Kind = "incident"
	KindAll      Kind = "all"
)

// Filter selects items of a list. Values must be canonical (see the
// package comment); the query API normalises what callers send.
type Filter struct {
	Kind       Kind // alert lists only; "" means alert
	Names      []string
	Types      []string
	Severities []string
	Statuses   []string
	Providers  []string
	Resources  []string
	Tactics    []string
	Incidents  []string
	Owners     []string
	Tags       []string // incident lists only
	// MinConfidence keeps incidents of at least this confidence (0: any).
	MinConfidence int
	Since         time.Time // inclusive; zero: no lower bound
	Until         time.Time // inclusive; zero: no upper bound
}

// Item is one list entry: an alert or an incident, told apart by Kind.
type Item struct {
	Kind     Kind
	Alert    *alert.Alert
	Incident *incident.Incident
	// Membership is why the alert joined its incident, when the store
	// keeps it with the alert.
	Membership *incident.Membership
}

// Page is one page of a list.
type Page struct {
	Items []Item
	// Next is the store's position after this page; "" on the last page.
	Next string
}

func any1(accept []string, v string) bool {
	return len(accept) == 0 || slices.Contains(accept, v)
}

func anyOf(accept []string, have []string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, h := range have {
		if slices.Contains(accept, h) {
			return true
		}
	}
	return false
}

func inTime(f *Filter, t time.Time) bool {
	if !f.Since.IsZero() && t.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && t.After(f.Until) {
		return false
	}
	return true
}

func stageNames(st []killchain.Stage) []string {
	out := make([]string, 0, len(st))
	for _, s := range st {
		out = append(out, s.String())
	}
	return out
}

// MatchAlert reports whether a passes every constraint of f.
func (f *Filter) MatchAlert(a *alert.Alert) bool {
	return len(f.Owners) == 0 && len(f.Tags) == 0 && f.MinConfidence == 0 &&
		any1(f.Names, a.Name) &&
		any1(f.Types, a.Type) &&
		any1(f.Severities, a.Severity.String()) &&
		any1(f.Statuses, string(a.Status)) &&
		any1(f.Providers, a.Provider) &&
		any1(f.Resources, a.PrimaryResource()) &&
		anyOf(f.Tactics, stageNames(a.Tactics)) &&
		any1(f.Incidents, a.IncidentID) &&
		inTime(f, a.LastSeen)
}

// MatchIncident reports whether inc passes every constraint of f.
func (f *Filter) MatchIncident(inc *incident.Incident) bool {
	res := make([]string, 0, len(inc.Resources))
	for _, r := range inc.Resources {
		res = append(res, r.ID)
	}
	return inc.MergedInto == "" && len(f.Types) == 0 && len(f.Incidents) == 0 &&
		any1(f.Names, inc.Title) &&
		any1(f.Severities, inc.Severity.String()) &&
		any1(f.Statuses, string(inc.Status)) &&
		anyOf(f.Providers, inc.Sources) &&
		anyOf(f.Resources, res) &&
		anyOf(f.Tactics, stageNames(inc.Tactics)) &&
		any1(f.Owners, inc.Owner) &&
		anyOf(f.Tags, inc.Tags) &&
		inc.Confidence >= f.MinConfidence &&
		inTime(f, inc.LastActivity)
}
