package metrics

import (
	"maps"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func img(visible bool, mod func(*incident.Incident)) *Image {
	inc := incident.Incident{ID: "i1", Severity: alert.High, Status: incident.StatusActive, CreatedAt: t0, UpdatedAt: t0,
		AlertCount: 2, Tactics: []killchain.Stage{killchain.InitialAccess, killchain.Execution}}
	if mod != nil {
		mod(&inc)
	}
	return &Image{Incident: inc, IsIncident: visible, Detections: []string{"guardduty/SSH brute force"}}
}

func TestForChange(t *testing.T) {
	later := func(d time.Duration) func(*incident.Incident) {
		return func(i *incident.Incident) { i.UpdatedAt = t0.Add(d) }
	}
	tests := []struct {
		name     string
		old, new *Image
		want     Delta
	}{
		{"created visible", nil, img(true, nil), Delta{Created: 1, CreatedSev + "High": 1, Correlated: 2,
			Stage + "InitialAccess": 1, Stage + "Execution": 1, Det + "guardduty/SSH brute force" + DetInc: 1}},
		{"invisible group", nil, img(false, nil), Delta{}},
		{"group becomes an incident", img(false, nil), img(true, func(i *incident.Incident) { i.AlertCount = 3 }),
			Delta{Created: 1, CreatedSev + "High": 1, Correlated: 3, Stage + "InitialAccess": 1, Stage + "Execution": 1,
				Det + "guardduty/SSH brute force" + DetInc: 1}},
		{"an alert joins, a stage is new", img(true, nil), img(true, func(i *incident.Incident) {
			i.AlertCount = 3
			i.Tactics = append(i.Tactics, killchain.Exfiltration)
		}), Delta{Correlated: 1, Stage + "Exfiltration": 1}},
		{"owner taken after 2h", img(true, nil), img(true, func(i *incident.Incident) {
			i.Owner = "ana"
			later(2 * time.Hour)(i)
		}), Delta{MTTA + bucketOf(2*time.Hour): 1}},
		{"InProgress after 1h", img(true, nil), img(true, func(i *incident.Incident) {
			i.Status = incident.StatusInProgress
			later(time.Hour)(i)
		}), Delta{StatusTo + "InProgress": 1, MTTA + bucketOf(time.Hour): 1}},
		{"resolved after a day, owned before", img(true, func(i *incident.Incident) { i.Owner = "ana" }), img(true, func(i *incident.Incident) {
			i.Owner, i.Status = "ana", incident.StatusResolved
			later(24 * time.Hour)(i)
		}), Delta{StatusTo + "Resolved": 1, Resolved: 1, MTTR + bucketOf(24*time.Hour): 1}},
		{"classified false positive", img(true, nil), img(true, func(i *incident.Incident) { i.Classification = incident.FalsePositive }),
			Delta{ClassTo + "FalsePositive": 1, Det + "guardduty/SSH brute force" + DetFalse: 1}},
		{"false positive becomes true", img(true, func(i *incident.Incident) { i.Classification = incident.FalsePositive }),
			img(true, func(i *incident.Incident) { i.Classification = incident.TruePositive }),
			Delta{ClassTo + "TruePositive": 1, Det + "guardduty/SSH brute force" + DetFalse: -1}},
		{"merged away", img(true, nil), img(true, func(i *incident.Incident) { i.MergedInto = "i2"; i.AlertCount = 5 }), Delta{}},
		{"nothing counted changed", img(true, nil), img(true, func(i *incident.Incident) { i.Title = "x" }), Delta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForChange(tt.old, tt.new); !maps.Equal(got, tt.want) {
				t.Errorf("delta = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForAlerts(t *testing.T) {
	long := string(make([]rune, 100))
	got := ForAlerts([]*alert.Alert{{Provider: "guardduty", Type: "SSH", Name: "203.0.113.66 on i-1"}, {Provider: "guardduty", Type: "SSH", Name: "203.0.113.67 on i-2", SuppressedBy: "r1"}, {Provider: "x", Type: long}})
	want := Delta{Alerts: 3, Suppressed: 1, Det + "guardduty/SSH" + DetAlerts: 2, Det + Detection("x", long) + DetAlerts: 1}
	if !maps.Equal(got, want) {
		t.Errorf("delta = %v, want %v", got, want)
	}
	if n := len([]rune(Detection("x", long))); n != 2+maxDetectionName {
		t.Errorf("detection of a long name has %d runes", n)
	}
}

// TestBuildQuantiles: medians and 90th percentiles come out within the
// histogram's precision, buckets follow days or weeks.
func TestBuildQuantiles(t *testing.T) {
	var days []Day
	var all []time.Duration
	for i := range 10 {
		d := time.Duration(i+1) * time.Hour // 1h … 10h, one a day
		all = append(all, d)
		days = append(days, Day{Day: t0.AddDate(0, 0, i).Format(DayLayout), Counts: map[string]int64{
			MTTR + bucketOf(d): 1, Created: 2, Correlated: 5, Det + "p/n" + DetAlerts: 3, Det + "p/n" + DetInc: 2, Det + "p/n" + DetFalse: 1}})
	}
	r := Build(days, t0, t0.AddDate(0, 0, 13), false)
	if len(r.Buckets) != 14 || r.Buckets[0].Created != 2 || r.Buckets[13].Created != 0 {
		t.Fatalf("%d day buckets, first %+v", len(r.Buckets), r.Buckets[0])
	}
	within := func(got, want time.Duration) bool {
		return float64(got) >= 0.9*float64(want) && float64(got) <= 1.1*float64(want)
	}
	// Rank-based quantiles of 1h…10h: median the 5th, p90 the 9th value.
	if m := r.Total.MTTR; m.Count != 10 || !within(m.Median, all[4]) || !within(m.P90, all[8]) {
		t.Errorf("MTTR = %+v, want 10, median ≈ %s, p90 ≈ %s", m, all[4], all[8])
	}
	if r.Total.AlertsPerIncident != 2.5 {
		t.Errorf("alerts per incident = %v", r.Total.AlertsPerIncident)
	}
	if len(r.Detections) != 1 || r.Detections[0] != (DetectionFigures{Detection: "p/n", Alerts: 30, Incidents: 20, FalsePositive: 10, NoiseShare: 0.5}) {
		t.Errorf("detections = %+v", r.Detections)
	}
	// 2026-11-20 is a Friday: weeks start on the Mondays 11-16, 11-23, 11-30.
	w := Build(days, t0, t0.AddDate(0, 0, 13), true)
	var starts []string
	for _, b := range w.Buckets {
		starts = append(starts, b.Start)
	}
	if len(starts) != 3 || starts[0] != "2026-11-16" || starts[2] != "2026-11-30" || w.Buckets[0].Created != 6 {
		t.Errorf("weeks %v, first created %d", starts, w.Buckets[0].Created)
	}
}

func TestNeedsDetections(t *testing.T) {
	fp := func(i *incident.Incident) { i.Classification = incident.FalsePositive }
	tp := func(i *incident.Incident) { i.Classification = incident.TruePositive }
	tests := []struct {
		name     string
		old, new *Image
		want     bool
	}{
		{"created", nil, img(true, nil), true},
		{"becomes visible", img(false, nil), img(true, nil), true},
		{"invisible", nil, img(false, nil), false},
		{"classified false positive", img(true, nil), img(true, fp), true},
		{"false positive taken back", img(true, fp), img(true, tp), true},
		{"classified true positive", img(true, nil), img(true, tp), false},
		{"owner taken", img(true, nil), img(true, func(i *incident.Incident) { i.Owner = "ana" }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsDetections(tt.old, tt.new); got != tt.want {
				t.Errorf("NeedsDetections = %v, want %v", got, tt.want)
			}
		})
	}
}
