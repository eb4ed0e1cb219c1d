package guidance

import (
	"sort"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

// Step is one mitigation step.
type Step struct {
	Text string `json:"text"`
	// Source says where the step comes from: "alert:<alert name>" for a
	// source's own remediation steps, "catalogue:<detection type>" for ours.
	Source string `json:"source"`
}

// Recommendation is one piece of advice to prevent future attacks.
type Recommendation struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Basis is what the recommendation is keyed on: "type:<detection
	// type>", "tactic:<stage>" or "resource:<resource type>".
	Basis string `json:"basis"`
}

type entry struct {
	mitigate []string
	prevent  []Recommendation
}

// Mitigate returns the remediation steps of the alerts, merged and
// de-duplicated (case- and space-insensitively), followed by the
// catalogued steps for their detection types.
func Mitigate(alerts []alert.Alert) []Step {
	seen := map[string]bool{}
	var out []Step
	add := func(text, source string) {
		k := strings.Join(strings.Fields(strings.ToLower(text)), " ")
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, Step{Text: strings.TrimSpace(text), Source: source})
	}
	for _, a := range alerts {
		for _, s := range a.RemediationSteps {
			add(s, "alert:"+a.Name)
		}
	}
	for _, t := range types(alerts) {
		if e, ok := catalogue[t]; ok {
			for _, s := range e.mitigate {
				add(s, "catalogue:"+t)
			}
		}
	}
	return out
}

// Prevent returns recommendations for the incident: per detection type of
// its alerts, per kill-chain stage it reached (in kill-chain order), and
// per resource type, without duplicates.
func Prevent(inc incident.Incident, alerts []alert.Alert) []Recommendation {
	seen := map[string]bool{}
	var out []Recommendation
	add := func(rs []Recommendation, basis string) {
		for _, r := range rs {
			if seen[r.Title] {
				continue
			}
			seen[r.Title] = true
			r.Basis = basis
			out = append(out, r)
		}
	}
	for _, t := range types(alerts) {
		if e, ok := catalogue[t]; ok {
			add(e.prevent, "type:"+t)
		}
	}
	stages := killchain.NewSet(inc.Tactics...)
	for _, a := range alerts {
		stages = stages.Union(a.Stages())
	}
	for _, st := range stages.Stages() {
		add(byTactic[st], "tactic:"+st.String())
	}
	rtypes := map[string]bool{}
	for _, r := range inc.Resources {
		rtypes[r.Type] = true
	}
	for _, a := range alerts {
		for _, r := range a.Resources {
			rtypes[r.Type] = true
		}
	}
	keys := make([]string, 0, len(rtypes))
	for k := range rtypes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(byResource[strings.ToLower(k)], "resource:"+k)
	}
	return out
}

// ForStage returns the catalogued recommendations for one stage.
func ForStage(st killchain.Stage) []Recommendation { return byTactic[st] }

// ForType returns the catalogued mitigation steps and recommendations for
// a detection type, and whether it is catalogued.
func ForType(t string) ([]string, []Recommendation, bool) {
	e, ok := catalogue[t]
	return e.mitigate, e.prevent, ok
}

// types lists the alerts' detection types in order of first appearance.
func types(alerts []alert.Alert) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range alerts {
		if !seen[a.Type] {
			seen[a.Type] = true
			out = append(out, a.Type)
		}
	}
	return out
}
