package automation

import (
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Facts is what conditions are checked against: the incident and, when a
// rule asks for alert types (NeedsAlertTypes), the types of its alerts.
type Facts struct {
	Incident   incident.Incident
	AlertTypes []string
}

// NeedsAlertTypes reports whether any rule has an alertTypes condition, so
// a caller reads the incident's alerts only when it must.
func NeedsAlertTypes(rules []Rule) bool {
	for _, r := range rules {
		if len(r.Conditions.AlertTypes) > 0 {
			return true
		}
	}
	return false
}

// Matches reports whether every given condition holds for f.
func (c Conditions) Matches(f Facts) bool {
	inc := f.Incident
	checks := []struct {
		given bool
		holds func() bool
	}{
		{c.SeverityAtLeast != "", func() bool { s, _ := alert.ParseSeverity(c.SeverityAtLeast); return inc.Severity >= s }},
		{len(c.Severities) > 0, func() bool { return anySeverity(c.Severities, inc.Severity) }},
		{len(c.Tactics) > 0, func() bool { return anyTactic(c.Tactics, inc.Tactics) }},
		{len(c.Providers) > 0, func() bool { return anyFold(c.Providers, inc.Sources) }},
		{len(c.AlertTypes) > 0, func() bool { return anyType(c.AlertTypes, f.AlertTypes) }},
		{len(c.Resources) > 0, func() bool { return anyFold(c.Resources, resourceIDs(inc.Resources)) }},
		{len(c.ResourceTags) > 0, func() bool { return anyTagged(c.ResourceTags, inc.Resources) }},
		{len(c.Entities) > 0, func() bool { return anyEntity(c.Entities, inc.Entities) }},
		{c.TitleContains != "", func() bool {
			return strings.Contains(strings.ToLower(inc.Title), strings.ToLower(c.TitleContains))
		}},
		{len(c.Tags) > 0, func() bool { return anyFold(c.Tags, inc.Tags) }},
		{c.MinConfidence > 0, func() bool { return inc.Confidence >= c.MinConfidence }},
	}
	for _, ch := range checks {
		if ch.given && !ch.holds() {
			return false
		}
	}
	return true
}

func anySeverity(want []string, have alert.Severity) bool {
	for _, w := range want {
		if s, ok := alert.ParseSeverity(w); ok && s == have {
			return true
		}
	}
	return false
}

func anyTactic(want []string, have []killchain.Stage) bool {
	for _, w := range want {
		s, ok := killchain.Parse(w)
		for _, h := range have {
			if ok && s == h {
				return true
			}
		}
	}
	return false
}

func anyFold(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if strings.EqualFold(w, h) {
				return true
			}
		}
	}
	return false
}

// anyType matches alert types exactly, or by prefix for a value ending
// in "*".
func anyType(want, have []string) bool {
	for _, w := range want {
		prefix, isPrefix := strings.CutSuffix(w, "*")
		for _, h := range have {
			if h == w || (isPrefix && strings.HasPrefix(h, prefix)) {
				return true
			}
		}
	}
	return false
}

func resourceIDs(rs []alert.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// anyTagged reports whether one resource carries every wanted tag ("*":
// any value).
func anyTagged(want map[string]string, rs []alert.Resource) bool {
	for _, r := range rs {
		all := true
		for k, v := range want {
			got, ok := r.Tags[k]
			if !ok || (v != "*" && got != v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// anyEntity matches an entity by value, or by "type:value".
func anyEntity(want []string, have []alert.Entity) bool {
	for _, w := range want {
		for _, e := range have {
			if strings.EqualFold(w, e.Value) || strings.EqualFold(w, string(e.Type)+":"+e.Value) {
				return true
			}
		}
	}
	return false
}
