package correlate

import (
	"cmp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

// Bounds on an incident's aggregated lists, so the incident item stays
// well under DynamoDB's 400 KB.
const (
	MaxIncidentResources  = 50
	MaxIncidentEntities   = 100
	MaxIncidentTechniques = 100
)

// absorb adds an alert's resources, entities, techniques and provider to
// an incident's aggregates and reports whether anything changed. The lists
// are kept sorted, so the result does not depend on arrival order.
func absorb(inc *incident.Incident, a *alert.Alert) bool {
	changed := false
	for _, r := range a.Resources {
		if addResource(inc, r) {
			changed = true
		}
	}
	for _, e := range a.Entities {
		if addEntity(inc, e) {
			changed = true
		}
	}
	for _, t := range a.Techniques {
		if addString(&inc.Techniques, t, MaxIncidentTechniques) {
			changed = true
		}
	}
	if addString(&inc.Sources, a.Provider, len(alert.Providers)+8) {
		changed = true
	}
	return changed
}

// mergeIncident adds o's aggregates to s.
func mergeIncident(s, o *incident.Incident) {
	for _, r := range o.Resources {
		addResource(s, r)
	}
	for _, e := range o.Entities {
		addEntity(s, e)
	}
	for _, t := range o.Techniques {
		addString(&s.Techniques, t, MaxIncidentTechniques)
	}
	for _, p := range o.Sources {
		addString(&s.Sources, p, len(alert.Providers)+8)
	}
}

func addResource(inc *incident.Incident, r alert.Resource) bool {
	rs := inc.Resources
	i := sort.Search(len(rs), func(i int) bool { return rs[i].ID >= r.ID })
	if i < len(rs) && rs[i].ID == r.ID {
		// Fill what is missing; a tag already known keeps its value.
		cur := &rs[i]
		changed := false
		fill := func(dst *string, v string) {
			if *dst == "" && v != "" {
				*dst, changed = v, true
			}
		}
		fill(&cur.Type, r.Type)
		fill(&cur.Name, r.Name)
		fill(&cur.Region, r.Region)
		fill(&cur.Account, r.Account)
		for k, v := range r.Tags {
			if _, ok := cur.Tags[k]; !ok {
				if cur.Tags == nil {
					cur.Tags = map[string]string{}
				}
				cur.Tags[k], changed = v, true
			}
		}
		return changed
	}
	if len(rs) >= MaxIncidentResources {
		return false
	}
	r = cloneResources([]alert.Resource{r})[0]
	rs = append(rs, alert.Resource{})
	copy(rs[i+1:], rs[i:])
	rs[i] = r
	inc.Resources = rs
	return true
}

func entityLess(a, b alert.Entity) bool {
	return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Value, b.Value)) < 0
}

func addEntity(inc *incident.Incident, e alert.Entity) bool {
	es := inc.Entities
	i := sort.Search(len(es), func(i int) bool { return !entityLess(es[i], e) })
	if i < len(es) && es[i].Type == e.Type && es[i].Value == e.Value {
		return false
	}
	if len(es) >= MaxIncidentEntities {
		return false
	}
	es = append(es, alert.Entity{})
	copy(es[i+1:], es[i:])
	es[i] = e
	inc.Entities = es
	return true
}

func addString(list *[]string, v string, max int) bool {
	if v == "" {
		return false
	}
	l := *list
	i := sort.SearchStrings(l, v)
	if i < len(l) && l[i] == v {
		return false
	}
	if len(l) >= max {
		return false
	}
	l = append(l, "")
	copy(l[i+1:], l[i:])
	l[i] = v
	*list = l
	return true
}

// Actor is the incident's UpdatedBy (and so an event's change.by) after a
// change the correlator made.
const Actor = "correlator"

// derive recomputes an incident's derived fields from its members and
// aggregates: title, severity, tactics, activity times, counts and the
// description. It is called for every group the batch changed (a new
// member, a merge, a reopening, a continuation link, a re-delivery that
// refreshed something), so it also records the change as the
// correlator's: UpdatedAt now and UpdatedBy Actor, replacing a person's
// name left by an earlier change through the API.
func derive(g *Group, now time.Time, by string) {
	inc := &g.Incident
	stages := g.Stages()
	if !sameStages(inc.Tactics, stages) {
		inc.Tactics = stages.Stages()
	}
	var sev alert.Severity
	for _, m := range g.Members {
		sev = max(sev, m.Severity)
	}
	first, last := activity(g.Members)
	if inc.SeveritySetBy == "" {
		if stages.Len() >= 3 {
			sev = sev.Raise()
		}
		inc.Severity = validSeverity(sev)
	}
	if len(g.Members) > 0 {
		inc.FirstActivity, inc.LastActivity = first, last
	}
	inc.AlertCount = len(g.Members)
	inc.MultiResource = len(inc.Resources) > 1
	if inc.TitleSetBy == "" {
		inc.Title = incident.Title(inc.Resources)
	}
	// Groups below the threshold are invisible: their description is
	// written when they become incidents.
	if g.IsIncident {
		inc.Description = Describe(inc)
	}
	if inc.Status == "" {
		inc.Status = incident.StatusActive
	}
	if inc.CreatedAt.IsZero() {
		inc.CreatedAt = now
	}
	inc.UpdatedAt, inc.UpdatedBy = now, by
}

// sameStages reports whether list is exactly s.Stages() (and not empty),
// so that derive can keep it instead of allocating an equal list.
func sameStages(list []killchain.Stage, s killchain.Set) bool {
	if len(list) == 0 || len(list) != s.Len() {
		return false
	}
	for i, st := range list {
		if !s.Has(st) || (i > 0 && list[i-1] >= st) {
			return false
		}
	}
	return true
}

// Describe tells an incident's attack path in one or two sentences, e.g.
// "Attack on web-prod-1 progressed from Pre-attack through Initial access
// and Credential access to Exfiltration, seen by GuardDuty, Falco and
// Alertmanager. 7 alerts from 2026-11-20 08:00 to 11:25 UTC."
func Describe(inc *incident.Incident) string {
	var b strings.Builder
	b.Grow(160)
	if inc.ContinuationOf != "" {
		b.WriteString("Continues incident ")
		b.WriteString(inc.ContinuationOf)
		b.WriteString(". ")
	}
	subject := func() {
		switch n := len(inc.Resources); {
		case n == 1:
			b.WriteString(inc.Resources[0].DisplayName())
		case n <= 3:
			b.WriteString(strconv.Itoa(n))
			b.WriteString(" resources (")
			writeList(&b, n, func(i int) string { return inc.Resources[i].DisplayName() })
			b.WriteString(")")
		default:
			b.WriteString(strconv.Itoa(n))
			b.WriteString(" resources")
		}
	}
	tactics := inc.Tactics
	switch len(tactics) {
	case 0:
		b.WriteString("Suspicious activity on ")
		subject()
		b.WriteString(" with no known kill-chain stage")
	case 1:
		b.WriteString("Suspicious activity on ")
		subject()
		b.WriteString(" at the ")
		b.WriteString(tactics[0].Label())
		b.WriteString(" stage")
	case 2:
		b.WriteString("Attack on ")
		subject()
		b.WriteString(" progressed from ")
		b.WriteString(tactics[0].Label())
		b.WriteString(" to ")
		b.WriteString(tactics[1].Label())
	default:
		b.WriteString("Attack on ")
		subject()
		b.WriteString(" progressed from ")
		b.WriteString(tactics[0].Label())
		b.WriteString(" through ")
		mid := tactics[1 : len(tactics)-1]
		writeList(&b, len(mid), func(i int) string { return mid[i].Label() })
		b.WriteString(" to ")
		b.WriteString(tactics[len(tactics)-1].Label())
	}
	if len(inc.Sources) > 0 {
		b.WriteString(", seen by ")
		writeList(&b, len(inc.Sources), func(i int) string { return providerName(inc.Sources[i]) })
	}
	b.WriteString(".")
	if !inc.FirstActivity.IsZero() {
		alerts := " alerts from "
		if inc.AlertCount == 1 {
			alerts = " alert from "
		}
		from, to := inc.FirstActivity.UTC(), inc.LastActivity.UTC()
		toFmt := "2006-01-02 15:04"
		fy, fm, fd := from.Date()
		if ty, tm, td := to.Date(); fy == ty && fm == tm && fd == td {
			toFmt = "15:04"
		}
		var buf [32]byte
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(inc.AlertCount))
		b.WriteString(alerts)
		b.Write(from.AppendFormat(buf[:0], "2006-01-02 15:04"))
		b.WriteString(" to ")
		b.Write(to.AppendFormat(buf[:0], toFmt))
		b.WriteString(" UTC.")
	}
	return b.String()
}

// writeList writes n words as "a, b and c".
func writeList(b *strings.Builder, n int, word func(int) string) {
	for i := range n {
		switch {
		case i == 0:
		case i == n-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(word(i))
	}
}

func providerName(p string) string {
	return normalize.SourcePhrase(p)
}
