package normalize

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"

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
// id), into it and reports whether anything changed (stores call
// MergeStored, which also keeps the result within the stored budget). The
// rules make merging commutative for what correlation reads, so the stored
// alert does not depend on arrival order (a GuardDuty finding and its
// Security Hub copy, Alertmanager repeats, EventBridge retries):
//   - FirstSeen is the earliest, LastSeen the latest sighting.
//   - Count is the larger of the two. Sources that count (GuardDuty's
//     service.count, OCSF count) send running totals, so the maximum is
//     right; sources that do not count stay at 1. Counting deliveries
//     instead (stored+1) would make at-least-once delivery inflate counts
//     and replays non-idempotent.
//   - Status, severity, name and description come from the delivery with
//     the later LastSeen: the source's newest word (an older delivery only
//     fills a name or description the other lacks). A tie in LastSeen is
//     the same sighting. When both deliveries carry UpdatedAt (when the
//     source last updated its record) and the two differ, the one with the
//     later UpdatedAt is the source's newer word and wins as above: a
//     source that updates its record of a sighting (a finding provider
//     re-importing a Security Hub finding with a new status, say) can
//     reopen the alert without a new sighting. Otherwise (equal
//     UpdatedAt, or either unknown — alerts stored before the field
//     existed, sources without it) the winner is fixed, not the
//     delivery that came second: the status first in Dismissed > Resolved
//     > Active, the higher severity, and for name and description the
//     non-empty, then the longer (Security Hub cuts descriptions), then the
//     one that sorts first. So a GuardDuty finding and its Security Hub
//     copy, which carry the same LastSeen and UpdatedAt, give the same
//     alert in either order — a Workflow status set in Security Hub
//     (SUPPRESSED, RESOLVED) holds against the finding's Active — and
//     re-deliveries of either change nothing. A Workflow change made in
//     Security Hub (BatchUpdateFindings) does not change UpdatedAt, so it
//     closes the alert (Active → Resolved → Dismissed) but cannot reopen
//     it: that waits for the next sighting, which has a later LastSeen. A
//     suppressed alert stays Dismissed with its SuppressedBy.
//   - UpdatedAt is the later of the two. (An unknown UpdatedAt ties with
//     any other, so with three or more deliveries of one sighting of which
//     only some carry it, the winner can depend on arrival order.)
//   - Tactics, techniques, remediation steps, resources and entities are
//     the union of both; SourceIncident is true if either says so. When
//     the two deliveries' lists of a field differ, the longer list leads
//     (on equal lengths, the one whose ids sort first, then whose values
//     sort first): its items keep their order and values (a resource's
//     type, name, tags…), and the other's extra items follow. So the
//     union, its order and the primary (first) resource do not depend on
//     which delivery was stored first — a GuardDuty finding and its
//     Security Hub copy carry different entity lists (the copy has no
//     private DNS name, for one). With three or more different lists the
//     order (not the members) can depend on arrival order.
//   - Identity, provider, type, ReceivedAt (first receipt) and IncidentID
//     are kept from the stored alert. One exception: a GuardDuty alert
//     stored with provider securityhub (a Security Hub copy stored before
//     copies were normalised to GuardDuty's provider) takes provider
//     guardduty from any later delivery. The raw payload follows the newer
//     delivery (on a tie in both LastSeen and UpdatedAt, the one that came
//     second; it is an audit copy)
//     but a raw-only difference is not a change.
//   - A write-back's echo (StatusEcho) leaves the status as stored.
//   - A suppressed alert stays suppressed; a delivery that a rule now
//     suppresses suppresses the stored alert too.
func Merge(stored, incoming alert.Alert) (alert.Alert, bool) {
	m := stored
	if incoming.FirstSeen.Before(m.FirstSeen) {
		m.FirstSeen = incoming.FirstSeen
	}
	m.Count = max(stored.Count, incoming.Count)
	if m.Provider == alert.ProviderSecurityHub && incoming.Provider == alert.ProviderGuardDuty {
		m.Provider = alert.ProviderGuardDuty
	}
	if incoming.UpdatedAt.After(m.UpdatedAt) {
		m.UpdatedAt = incoming.UpdatedAt
	}
	order := incoming.LastSeen.Compare(stored.LastSeen)
	if order == 0 && !stored.UpdatedAt.IsZero() && !incoming.UpdatedAt.IsZero() {
		// The same sighting in two versions of the source's record: the
		// newer record is the source's newer word. Equal (or unknown)
		// record times leave the tie to the fixed winner below.
		order = incoming.UpdatedAt.Compare(stored.UpdatedAt)
	}
	switch order {
	case 1: // the source's newer word
		m.LastSeen = incoming.LastSeen
		m.Status = incoming.Status
		if incoming.Severity.Valid() {
			m.Severity = incoming.Severity
		}
		m.Name = cmp.Or(incoming.Name, stored.Name)
		m.Description = cmp.Or(incoming.Description, stored.Description)
		if len(incoming.Raw) > 0 {
			m.Raw, m.RawTruncated = incoming.Raw, incoming.RawTruncated
		}
	case -1: // an older sighting fills only what the stored one lacks
		m.Name = cmp.Or(stored.Name, incoming.Name)
		m.Description = cmp.Or(stored.Description, incoming.Description)
	case 0: // the same sighting: a fixed winner, whichever came second
		if statusRank(incoming.Status) > statusRank(stored.Status) {
			m.Status = incoming.Status
		}
		if incoming.Severity.Valid() && (!stored.Severity.Valid() || incoming.Severity > stored.Severity) {
			m.Severity = incoming.Severity
		}
		m.Name = preferText(stored.Name, incoming.Name)
		m.Description = preferText(stored.Description, incoming.Description)
		if len(incoming.Raw) > 0 {
			m.Raw, m.RawTruncated = incoming.Raw, incoming.RawTruncated
		}
	}
	if incoming.StatusEcho {
		// Muster's own word coming back (a write-back's echo, perhaps
		// late): the status stays what Muster has now.
		m.Status = stored.Status
	}
	if m.SuppressedBy == "" && incoming.SuppressedBy != "" {
		m.SuppressedBy = incoming.SuppressedBy // a rule now suppresses it
	}
	if m.SuppressedBy != "" {
		m.Status = alert.StatusDismissed
	}
	m.SourceIncident = stored.SourceIncident || incoming.SourceIncident
	m.Tactics = killchain.NewSet(stored.Tactics...).Union(killchain.NewSet(incoming.Tactics...)).Stages()
	m.Techniques = union(stored.Techniques, incoming.Techniques, stringKey, alert.MaxListLen)
	m.RemediationSteps = union(stored.RemediationSteps, incoming.RemediationSteps, stringKey, alert.MaxListLen)
	m.Resources = unionResources(stored.Resources, incoming.Resources)
	m.Entities = union(stored.Entities, incoming.Entities, entityKey, alert.MaxEntities)
	return m, !sameIgnoringRaw(stored, m)
}

// statusRank orders statuses for a tie in LastSeen: a closed status wins
// over Active, and Dismissed (a person's or a rule's decision) over
// Resolved. Unknown statuses rank lowest.
func statusRank(s alert.Status) int {
	return slices.Index([]alert.Status{alert.StatusActive, alert.StatusResolved, alert.StatusDismissed}, s) + 1
}

// preferText picks one of two texts of the same sighting, the same one
// whichever is passed first: a non-empty text over an empty one, then the
// longer (Security Hub cuts a GuardDuty description to 1,024 characters),
// then the one that sorts first.
func preferText(a, b string) string {
	switch {
	case a == "" || b == "":
		return a + b
	case len(a) != len(b):
		if len(a) > len(b) {
			return a
		}
		return b
	}
	return min(a, b)
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

// union is a followed by b's items that a lacks (by key), at most limit;
// the list that leads (leads) goes first, so the result does not depend on
// which was stored.
func union[T any](a, b []T, key func(*T) string, limit int) []T {
	if len(b) == 0 {
		return a
	}
	if !leads(a, b, key) {
		a, b = b, a
	}
	out := append([]T(nil), a...)
	seen := make(map[string]bool, len(a)+len(b))
	for i := range a {
		seen[key(&a[i])] = true
	}
	for i := range b {
		if k := key(&b[i]); !seen[k] && len(out) < limit {
			seen[k] = true
			out = append(out, b[i])
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
			o.Type = cmp.Or(o.Type, r.Type)
			o.Name = cmp.Or(o.Name, r.Name)
			o.Region = cmp.Or(o.Region, r.Region)
			o.Account = cmp.Or(o.Account, r.Account)
			// Sorted, so which tags fill the last places under the cap
			// does not depend on map order.
			for _, k := range alert.SortedTagKeys(r.Tags) {
				if o.Tags == nil {
					o.Tags = map[string]string{}
				}
				if _, has := o.Tags[k]; !has && len(o.Tags) < alert.MaxTags {
					o.Tags[k] = r.Tags[k]
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
