package normalize

import (
	"bytes"
	"encoding/json"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// Outcome is what storing one delivery of an alert did.
type Outcome int

// Outcomes of a put.
const (
	// Accepted: the alert was new and has been stored.
	Accepted Outcome = iota + 1
	// Duplicate: the alert was already stored; the delivery was merged
	// into it (see Merge) and nothing new was created.
	Duplicate
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// PutResult reports a store's PutAlert.
type PutResult struct {
	Outcome Outcome
	// Changed is false when a duplicate delivery carried nothing new and
	// the stored item was not rewritten.
	Changed bool
	// Alert is the stored state after the put.
	Alert alert.Alert
}

// Merge folds incoming, a re-delivery of the alert stored as stored (same
// id), into it and reports whether anything changed. The rules make merging
// commutative for what correlation reads, so the stored alert does not
// depend on arrival order (a GuardDuty finding and its Security Hub copy,
// Alertmanager repeats, EventBridge retries):
//   - FirstSeen is the earliest, LastSeen the latest sighting.
//   - Count is the larger of the two. Sources that count (GuardDuty's
//     service.count, OCSF count) send running totals, so the maximum is
//     right; sources that do not count stay at 1. Counting deliveries
//     instead (stored+1) would make at-least-once delivery inflate counts
//     and replays non-idempotent.
//   - Status, severity, name and description come from the delivery with
//     the later LastSeen (the incoming one on a tie): the source's newest
//     word. A suppressed alert stays Dismissed with its SuppressedBy.
//   - Tactics, techniques, remediation steps, resources and entities are
//     the union of both; SourceIncident is true if either says so. When
//     the two deliveries' lists of a field differ, the longer list leads
//     (on equal lengths, the one whose ids sort first, then whose values
//     sort first): its items keep their order and values (a resource's
//     type, name, tags…), and the other's extra items follow. So the
//     union, its order and the primary (first) resource do not depend on
//     which delivery was stored first — a GuardDuty finding and its
//     Security Hub copy carry different entity lists (the copy has no
//     private DNS name, for one).
//   - Identity, provider, type, ReceivedAt (first receipt) and IncidentID
//     are kept from the stored alert. One exception: a GuardDuty alert
//     stored with provider securityhub (a Security Hub copy stored before
//     copies were normalised to GuardDuty's provider) takes provider
//     guardduty from any later delivery. The raw payload follows the newer
//     delivery but a raw-only difference is not a change.
//   - A suppressed alert stays suppressed; a delivery that a rule now
//     suppresses suppresses the stored alert too.
func Merge(stored, incoming alert.Alert) (alert.Alert, bool) {
	m := stored
	if incoming.FirstSeen.Before(m.FirstSeen) {
		m.FirstSeen = incoming.FirstSeen
	}
	newer := !incoming.LastSeen.Before(stored.LastSeen)
	if incoming.LastSeen.After(m.LastSeen) {
		m.LastSeen = incoming.LastSeen
	}
	m.Count = max(stored.Count, incoming.Count)
	if m.Provider == alert.ProviderSecurityHub && incoming.Provider == alert.ProviderGuardDuty {
		m.Provider = alert.ProviderGuardDuty
	}
	if newer {
		m.Status = incoming.Status
		if incoming.Severity.Valid() {
			m.Severity = incoming.Severity
		}
		if incoming.Name != "" {
			m.Name = incoming.Name
		}
		if incoming.Description != "" {
			m.Description = incoming.Description
		}
		if len(incoming.Raw) > 0 {
			m.Raw, m.RawTruncated = incoming.Raw, incoming.RawTruncated
		}
	}
	if m.SuppressedBy == "" && incoming.SuppressedBy != "" {
		m.SuppressedBy = incoming.SuppressedBy // a rule now suppresses it
	}
	if m.SuppressedBy != "" {
		m.Status = alert.StatusDismissed
	}
	m.SourceIncident = stored.SourceIncident || incoming.SourceIncident
	m.Tactics = killchain.NewSet(stored.Tactics...).Union(killchain.NewSet(incoming.Tactics...)).Stages()
	m.Techniques = unionStrings(stored.Techniques, incoming.Techniques, alert.MaxListLen)
	m.RemediationSteps = unionStrings(stored.RemediationSteps, incoming.RemediationSteps, alert.MaxListLen)
	m.Resources = unionResources(stored.Resources, incoming.Resources)
	m.Entities = unionEntities(stored.Entities, incoming.Entities)
	return m, !sameIgnoringRaw(stored, m)
}

func sameIgnoringRaw(a, b alert.Alert) bool {
	a.Raw, a.RawTruncated, b.Raw, b.RawTruncated = nil, false, nil, false
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// leads reports whether list a leads list b in a union (see Merge): the
// longer list leads; on equal lengths, the one whose item keys sort first,
// then whose JSON sorts first. Equal lists: a leads (the result is the
// same). It is a total order, so exactly one of two different lists leads
// whichever is passed first.
func leads[T any](a, b []T, key func(*T) string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	for i := range a {
		if ka, kb := key(&a[i]), key(&b[i]); ka != kb {
			return ka < kb
		}
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 != nil || err2 != nil || bytes.Compare(x, y) <= 0
}

func stringKey(s *string) string { return *s }

func entityKey(e *alert.Entity) string { return string(e.Type) + "\x00" + e.Value }

func resourceKey(r *alert.Resource) string { return r.ID }

func unionStrings(a, b []string, limit int) []string {
	if len(b) == 0 {
		return a
	}
	if !leads(a, b, stringKey) {
		a, b = b, a
	}
	out := append([]string(nil), a...)
	seen := make(map[string]bool, len(a)+len(b))
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] && len(out) < limit {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func unionEntities(a, b []alert.Entity) []alert.Entity {
	if len(b) == 0 {
		return a
	}
	if !leads(a, b, entityKey) {
		a, b = b, a
	}
	out := append([]alert.Entity(nil), a...)
	seen := make(map[alert.Entity]bool, len(a)+len(b))
	for _, e := range a {
		seen[alert.Entity{Type: e.Type, Value: e.Value}] = true
	}
	for _, e := range b {
		k := alert.Entity{Type: e.Type, Value: e.Value}
		if !seen[k] && len(out) < alert.MaxEntities {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

func unionResources(a, b []alert.Resource) []alert.Resource {
	if len(b) == 0 {
		return a
	}
	if !leads(a, b, resourceKey) {
		a, b = b, a
	}
	out := make([]alert.Resource, 0, len(a)+len(b))
	idx := map[string]int{}
	for _, list := range [][]alert.Resource{a, b} {
		for _, r := range list {
			j, ok := idx[r.ID]
			if !ok {
				if len(out) >= alert.MaxResources {
					continue
				}
				idx[r.ID] = len(out)
				r.Tags = copyTags(r.Tags)
				out = append(out, r)
				continue
			}
			o := &out[j]
			o.Type = firstNonEmpty(o.Type, r.Type)
			o.Name = firstNonEmpty(o.Name, r.Name)
			o.Region = firstNonEmpty(o.Region, r.Region)
			o.Account = firstNonEmpty(o.Account, r.Account)
			for k, v := range r.Tags {
				if o.Tags == nil {
					o.Tags = map[string]string{}
				}
				if _, has := o.Tags[k]; !has && len(o.Tags) < alert.MaxTags {
					o.Tags[k] = v
				}
			}
		}
	}
	return out
}

func copyTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
