package storetest

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/metrics"
)

// MetricsStore keeps the daily counters of package metrics.
type MetricsStore interface {
	AddMetrics(ctx context.Context, day, marker string, d metrics.Delta) error
	MetricDays(ctx context.Context, from, to string) ([]metrics.Day, error)
	AlertDetections(ctx context.Context, ids []string) (map[string]string, error)
}

func init() { register("metrics", runMetrics) }

func runMetrics(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st, ok := newStore(t).(MetricsStore)
	if !ok {
		t.Fatalf("%T does not implement MetricsStore", st)
	}
	adds := []struct {
		day, marker string
		d           metrics.Delta
	}{
		{"2026-11-19", "", metrics.Delta{"alerts": 3, "det.guardduty/SSH brute force|alerts": 3}},
		{"2026-11-20", "", metrics.Delta{"alerts": 2}},
		{"2026-11-20", "", metrics.Delta{"alerts": 1, "suppressed": 1}},
		{"2026-11-20", "inc1#2", metrics.Delta{"created": 1, "det.x/y|fp": 1}},
		{"2026-11-20", "inc1#2", metrics.Delta{"created": 1, "det.x/y|fp": 1}}, // a replay
		{"2026-11-20", "inc1#3", metrics.Delta{"det.x/y|fp": -1, "zero": 0}},
		{"2026-11-21", "inc2#1", metrics.Delta{}},
		{"2026-11-22", "", metrics.Delta{"alerts": 7}},
	}
	for _, a := range adds {
		if err := st.AddMetrics(ctx, a.day, a.marker, a.d); err != nil {
			t.Fatalf("AddMetrics %s %s: %v", a.day, a.marker, err)
		}
	}
	days, err := st.MetricDays(ctx, "2026-11-19", "2026-11-21")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int64{}
	for _, d := range days {
		got[d.Day] = d.Counts
	}
	want := map[string]map[string]int64{
		"2026-11-19": {"alerts": 3, "det.guardduty/SSH brute force|alerts": 3},
		"2026-11-20": {"alerts": 3, "suppressed": 1, "created": 1, "det.x/y|fp": 0},
	}
	if !maps.EqualFunc(got, want, func(a, b map[string]int64) bool { return maps.Equal(a, b) }) {
		t.Errorf("days = %v, want %v", got, want)
	}
}

func init() { register("alert detections", runAlertDetections) }

// runAlertDetections: the detection of stored alerts, none for unknown
// ids, at most 100 looked up.
func runAlertDetections(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st := newStore(t)
	ms, ok := st.(MetricsStore)
	as, ok2 := st.(AlertStore)
	if !ok || !ok2 {
		t.Fatalf("%T does not implement MetricsStore and AlertStore", st)
	}
	var ids []string
	want := map[string]string{}
	for i := range 102 {
		a := corrAlert(fmt.Sprintf("det-%d", i), 0, killchain.InitialAccess, "web-1")
		a.Type = fmt.Sprintf("Type%d", i%3)
		if _, err := as.PutAlert(ctx, &a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		if i < 100 {
			want[a.ID] = metrics.Detection(a.Provider, a.Type)
		}
	}
	got, err := ms.AlertDetections(ctx, append([]string{"missing"}, ids...))
	if err != nil {
		t.Fatal(err)
	}
	delete(want, ids[99]) // pushed out of the first 100 by "missing"
	if !maps.Equal(got, want) {
		t.Errorf("detections: %d, want %d (%v)", len(got), len(want), got)
	}
}
