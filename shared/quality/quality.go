package quality

import (
	"sort"

	"github.com/muster-sec/muster/shared/alert"
)

// Noise is the label of alerts that belong to no campaign.
const Noise = "noise"

// Grouper groups alerts into incidents, each a list of alert ids. Alerts it
// leaves out are in no incident.
type Grouper interface {
	Group(alerts []*alert.Alert) [][]string
}

// GrouperFunc adapts a function to Grouper.
type GrouperFunc func([]*alert.Alert) [][]string

// Group calls f.
func (f GrouperFunc) Group(alerts []*alert.Alert) [][]string { return f(alerts) }

// Result is the score of one grouping.
type Result struct {
	Alerts    int `json:"alerts"`
	Campaigns int `json:"campaigns"`
	Incidents int `json:"incidents"`
	// Grouped is the number of alerts inside an incident; Ungrouped the rest.
	Grouped   int `json:"grouped"`
	Ungrouped int `json:"ungrouped"`

	TruePairs      int64 `json:"truePairs"`
	PredictedPairs int64 `json:"predictedPairs"`
	CorrectPairs   int64 `json:"correctPairs"`

	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`

	// Pure is the number of incidents whose alerts are mostly (more than
	// half) from one campaign; IncidentPrecision is Pure ÷ Incidents (1
	// when there are no incidents).
	Pure              int     `json:"pureIncidents"`
	IncidentPrecision float64 `json:"incidentPrecision"`
	// False is the number of incidents whose alerts are mostly (more than
	// half) noise; FalsePerAttack is False ÷ Campaigns (0 when there are no
	// campaigns).
	False          int     `json:"falseIncidents"`
	FalsePerAttack float64 `json:"falseIncidentsPerAttack"`

	Detected      int      `json:"detected"`
	Missed        int      `json:"missed"`
	MissedIDs     []string `json:"missedIds,omitempty"`
	NoiseReduced  float64  `json:"noiseReduction"`
	AlertsPerInc  float64  `json:"alertsPerIncident"`
	NoiseInInc    int      `json:"noiseInIncidents"`
	UnknownIDs    int      `json:"unknownIds,omitempty"`
	DuplicatedIDs int      `json:"duplicatedIds,omitempty"`
}

// Score scores incidents against labels (alert id → campaign id or Noise).
// Every labelled alert is an input alert. Ids in incidents that have no
// label are ignored and counted in UnknownIDs; an id in several incidents
// counts in the first only (DuplicatedIDs). Incidents that are empty after
// that are dropped.
func Score(incidents [][]string, labels map[string]string) Result {
	r := Result{Alerts: len(labels)}
	campaignSize := map[string]int{}
	for _, l := range labels {
		if l != Noise {
			campaignSize[l]++
		}
	}
	r.Campaigns = len(campaignSize)
	for _, n := range campaignSize {
		r.TruePairs += pairs(n)
	}

	placed := map[string]bool{}
	best := map[string]int{} // campaign → most alerts in one incident
	for _, inc := range incidents {
		size := 0
		cell := map[string]int{}
		for _, id := range inc {
			l, ok := labels[id]
			switch {
			case !ok:
				r.UnknownIDs++
				continue
			case placed[id]:
				r.DuplicatedIDs++
				continue
			}
			placed[id] = true
			size++
			if l == Noise {
				r.NoiseInInc++
				continue
			}
			cell[l]++
		}
		if size == 0 {
			continue
		}
		r.Incidents++
		r.Grouped += size
		r.PredictedPairs += pairs(size)
		top := 0
		for l, n := range cell {
			r.CorrectPairs += pairs(n)
			best[l] = max(best[l], n)
			top = max(top, n)
		}
		if 2*top > size {
			r.Pure++
		}
		if 2*(size-sum(cell)) > size {
			r.False++
		}
	}
	r.Ungrouped = r.Alerts - r.Grouped

	r.Precision, r.Recall = 1, 1
	if r.PredictedPairs > 0 {
		r.Precision = float64(r.CorrectPairs) / float64(r.PredictedPairs)
	}
	if r.TruePairs > 0 {
		r.Recall = float64(r.CorrectPairs) / float64(r.TruePairs)
	}
	if p := r.Precision + r.Recall; p > 0 {
		r.F1 = 2 * r.Precision * r.Recall / p
	}
	r.IncidentPrecision = 1
	if r.Incidents > 0 {
		r.IncidentPrecision = float64(r.Pure) / float64(r.Incidents)
	}
	if r.Campaigns > 0 {
		r.FalsePerAttack = float64(r.False) / float64(r.Campaigns)
	}
	for l, n := range campaignSize {
		if 2*best[l] > n {
			r.Detected++
		} else {
			r.MissedIDs = append(r.MissedIDs, l)
		}
	}
	sort.Strings(r.MissedIDs)
	r.Missed = len(r.MissedIDs)
	if r.Incidents > 0 {
		r.NoiseReduced = float64(r.Alerts) / float64(r.Incidents)
		r.AlertsPerInc = float64(r.Grouped) / float64(r.Incidents)
	}
	return r
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func pairs(n int) int64 { return int64(n) * int64(n-1) / 2 }
