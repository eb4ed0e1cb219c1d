package quality

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// Formed is one incident and the alert time at which it formed.
type Formed struct {
	IDs []string
	// At is the firstSeen of the alert whose arrival made the incident
	// reach the incident threshold, the alerts replayed in firstSeen order.
	// For an incident that absorbed others, the earliest such time among
	// them: the analyst had an incident from then on.
	At time.Time
}

// Timeline is a Grouper that can also say when each incident formed. It
// replays the alerts in firstSeen order (alert time, no delivery delay)
// and returns that replay's incidents with their formation times.
// Groupers that cannot answer simply do not implement it.
type Timeline interface {
	Grouper
	GroupInTime(alerts []*alert.Alert) []Formed
}

// Detection is how soon a timed grouping detects each campaign.
type Detection struct {
	// Campaigns is the number of campaigns; Detected those the timed
	// grouping detects (one incident holds more than half their alerts).
	Campaigns int `json:"campaigns"`
	Detected  int `json:"detected"`
	// Median and P90 are nearest-rank percentiles of Delays (0 when no
	// campaign is detected).
	Median time.Duration `json:"median"`
	P90    time.Duration `json:"p90"`
	// Delays holds, per detected campaign, the time from its first alert's
	// firstSeen to the moment its incident exists and holds one of its
	// alerts.
	Delays map[string]time.Duration `json:"delays,omitempty"`
}

// TimeToDetect measures, for each campaign, the time from its first alert
// (earliest firstSeen) to its detection: the later of the moment the
// incident holding most of its alerts formed and the firstSeen of the
// campaign's earliest alert in that incident. Campaigns without such an
// incident are not detected and have no delay. Ids that are unknown or
// already placed are ignored, as in Score.
func TimeToDetect(incidents []Formed, alerts []*alert.Alert, labels map[string]string) Detection {
	seen := make(map[string]time.Time, len(alerts))
	start, size := map[string]time.Time{}, map[string]int{}
	for _, a := range alerts {
		seen[a.ID] = a.FirstSeen
		if l, ok := labels[a.ID]; ok && l != Noise {
			size[l]++
			if s, ok := start[l]; !ok || a.FirstSeen.Before(s) {
				start[l] = a.FirstSeen
			}
		}
	}
	d := Detection{Campaigns: len(size), Delays: map[string]time.Duration{}}
	placed := map[string]bool{}
	for _, inc := range incidents {
		count, earliest := map[string]int{}, map[string]time.Time{}
		for _, id := range inc.IDs {
			l, ok := labels[id]
			if !ok || placed[id] {
				continue
			}
			placed[id] = true
			if l == Noise {
				continue
			}
			count[l]++
			if e, ok := earliest[l]; !ok || seen[id].Before(e) {
				earliest[l] = seen[id]
			}
		}
		for l, n := range count {
			if 2*n > size[l] {
				at := inc.At
				if earliest[l].After(at) {
					at = earliest[l]
				}
				d.Delays[l] = at.Sub(start[l])
			}
		}
	}
	d.Detected = len(d.Delays)
	v := make([]time.Duration, 0, len(d.Delays))
	for _, x := range d.Delays {
		v = append(v, x)
	}
	slices.Sort(v)
	d.Median, d.P90 = Percentile(v, 50), Percentile(v, 90)
	return d
}

// Percentile returns the nearest-rank p-th percentile of sorted values:
// the smallest value with at least p % of the values at or below it; 0
// for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// PartitionDiff returns the number of alerts whose incident differs
// between two groupings: an alert in an incident in one and in none in the
// other, or in incidents with different members. Order inside and between
// incidents does not matter.
func PartitionDiff(a, b [][]string) int {
	ka, kb := incidentOf(a), incidentOf(b)
	n := 0
	for id, k := range ka {
		if kb[id] != k {
			n++
		}
	}
	for id := range kb {
		if _, ok := ka[id]; !ok {
			n++
		}
	}
	return n
}

// incidentOf maps each alert id to a canonical name of its incident (its
// sorted members).
func incidentOf(groups [][]string) map[string]string {
	out := map[string]string{}
	for _, g := range groups {
		ids := append([]string(nil), g...)
		sort.Strings(ids)
		k := strings.Join(ids, "\x00")
		for _, id := range g {
			out[id] = k
		}
	}
	return out
}
