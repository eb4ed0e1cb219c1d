package metrics

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DayLayout is the layout of a counter day (UTC).
const DayLayout = "2006-01-02"

// Day is one UTC day's counters.
type Day struct {
	Day    string
	Counts map[string]int64
}

// Durations summarises a histogram: how many, the median and the 90th
// percentile (each within 9%: the midpoint of its bucket).
type Durations struct {
	Count  int64         `json:"count"`
	Median time.Duration `json:"-"`
	P90    time.Duration `json:"-"`
}

// MarshalJSON writes the durations in seconds: {"count", "medianSeconds",
// "p90Seconds"} (the last two absent when count is 0).
func (d Durations) MarshalJSON() ([]byte, error) {
	v := struct {
		Count  int64    `json:"count"`
		Median *float64 `json:"medianSeconds,omitempty"`
		P90    *float64 `json:"p90Seconds,omitempty"`
	}{Count: d.Count}
	if d.Count > 0 {
		m, p := d.Median.Round(time.Second).Seconds(), d.P90.Round(time.Second).Seconds()
		v.Median, v.P90 = &m, &p
	}
	return json.Marshal(v)
}

// Bucket is the figures of one day or week.
type Bucket struct {
	Start             string           `json:"start"`
	Alerts            int64            `json:"alerts"`
	Suppressed        int64            `json:"suppressed"`
	Correlated        int64            `json:"correlated"`
	Created           int64            `json:"created"`
	Resolved          int64            `json:"resolved"`
	AlertsPerIncident float64          `json:"alertsPerIncident"`
	CreatedBySeverity map[string]int64 `json:"createdBySeverity"`
	ToStatus          map[string]int64 `json:"toStatus"`
	Classified        map[string]int64 `json:"classified"`
	Stages            map[string]int64 `json:"stages"`
	MTTA              Durations        `json:"mtta"`
	MTTR              Durations        `json:"mttr"`
	counts            map[string]int64
}

// DetectionFigures are one detection's figures over the whole period.
type DetectionFigures struct {
	Detection      string  `json:"detection"`
	Alerts         int64   `json:"alerts"`
	Incidents      int64   `json:"incidents"`
	FalsePositive  int64   `json:"falsePositive"`
	BenignPositive int64   `json:"benignPositive"`
	NoiseShare     float64 `json:"noiseShare"` // (FP + BP) / incidents, 0 without incidents
}

// Report is the figures of a period in buckets, their total and the
// detections by alerts.
type Report struct {
	Buckets    []Bucket
	Total      Bucket
	Detections []DetectionFigures
}

// MaxDetectionsReported bounds Report.Detections (by alerts, most first).
const MaxDetectionsReported = 50

// Build folds days (any order, from..to, UTC days) into buckets of a day
// or a week (starting Monday); days without counters are zero buckets.
func Build(days []Day, from, to time.Time, week bool) Report {
	byDay := map[string]map[string]int64{}
	for _, d := range days {
		byDay[d.Day] = d.Counts
	}
	var r Report
	total := map[string]int64{}
	var cur *Bucket
	for t := from.UTC().Truncate(24 * time.Hour); !t.After(to); t = t.AddDate(0, 0, 1) {
		start := t
		if week {
			start = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		}
		if cur == nil || cur.Start != start.Format(DayLayout) {
			r.Buckets = append(r.Buckets, Bucket{Start: start.Format(DayLayout), counts: map[string]int64{}})
			cur = &r.Buckets[len(r.Buckets)-1]
		}
		for k, v := range byDay[t.Format(DayLayout)] {
			cur.counts[k] += v
			total[k] += v
		}
	}
	for i := range r.Buckets {
		r.Buckets[i].fill(r.Buckets[i].counts)
	}
	r.Total = Bucket{Start: from.UTC().Format(DayLayout)}
	r.Total.fill(total)
	r.Detections = detections(total)
	return r
}

func (b *Bucket) fill(c map[string]int64) {
	b.Alerts, b.Suppressed, b.Correlated = c[Alerts], c[Suppressed], c[Correlated]
	b.Created, b.Resolved = c[Created], c[Resolved]
	if b.Created > 0 {
		b.AlertsPerIncident = float64(b.Correlated) / float64(b.Created)
	}
	b.CreatedBySeverity, b.ToStatus = prefixed(c, CreatedSev), prefixed(c, StatusTo)
	b.Classified, b.Stages = prefixed(c, ClassTo), prefixed(c, Stage)
	b.MTTA, b.MTTR = durations(prefixed(c, MTTA)), durations(prefixed(c, MTTR))
	b.counts = nil
}

func prefixed(c map[string]int64, prefix string) map[string]int64 {
	out := map[string]int64{}
	for k, v := range c {
		if rest, ok := strings.CutPrefix(k, prefix); ok && v != 0 {
			out[rest] = v
		}
	}
	return out
}

// durations reads a histogram (bucket index → count).
func durations(h map[string]int64) Durations {
	type bin struct {
		i int
		n int64
	}
	var bins []bin
	var d Durations
	for k, n := range h {
		if i, err := strconv.Atoi(k); err == nil && n > 0 {
			bins = append(bins, bin{i, n})
			d.Count += n
		}
	}
	slices.SortFunc(bins, func(a, b bin) int { return cmp.Compare(a.i, b.i) })
	quantile := func(q float64) time.Duration {
		rank, seen := int64(q*float64(d.Count-1))+1, int64(0)
		for _, b := range bins {
			if seen += b.n; seen >= rank {
				return bucketValue(b.i)
			}
		}
		return 0
	}
	if d.Count > 0 {
		d.Median, d.P90 = quantile(0.5), quantile(0.9)
	}
	return d
}

func detections(c map[string]int64) []DetectionFigures {
	byName := map[string]*DetectionFigures{}
	for k, v := range c {
		rest, ok := strings.CutPrefix(k, Det)
		i := strings.LastIndexByte(rest, '|')
		if !ok || i < 0 {
			continue
		}
		name := rest[:i]
		f := byName[name]
		if f == nil {
			f = &DetectionFigures{Detection: name}
			byName[name] = f
		}
		switch rest[i:] {
		case DetAlerts:
			f.Alerts += v
		case DetInc:
			f.Incidents += v
		case DetFalse:
			f.FalsePositive += v
		case DetBenign:
			f.BenignPositive += v
		}
	}
	out := make([]DetectionFigures, 0, len(byName))
	for _, f := range byName {
		if f.Incidents > 0 {
			f.NoiseShare = float64(f.FalsePositive+f.BenignPositive) / float64(f.Incidents)
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b DetectionFigures) int {
		if c := cmp.Compare(b.Alerts, a.Alerts); c != 0 {
			return c
		}
		return cmp.Compare(a.Detection, b.Detection)
	})
	return out[:min(len(out), MaxDetectionsReported)]
}
