package bench

import (
	"os"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

func TestParseGoBench(t *testing.T) {
	b, err := os.ReadFile("testdata/gobench.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	got := ParseGoBench(b)
	want := []GoBench{
		{Package: "github.com/muster-sec/muster/shared/correlate", Name: "BenchmarkEngine/state=10000-2", N: 12000,
			Metrics: map[string]float64{"ns/op": 95000, "alerts/s": 10526, "B/op": 2048, "allocs/op": 31}},
		{Package: "github.com/muster-sec/muster/shared/normalize", Name: "BenchmarkNormalize/guardduty-2", N: 50000,
			Metrics: map[string]float64{"ns/op": 4100, "B/op": 1900, "allocs/op": 40}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseGoBench =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPercentileAndMedian(t *testing.T) {
	tests := []struct {
		v        []float64
		p, want  float64
		med      float64
		unsorted bool
	}{
		{v: []float64{5}, p: 95, want: 5, med: 5},
		{v: []float64{1, 2, 3, 4}, p: 50, want: 2, med: 2.5},
		{v: []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}, p: 95, want: 10, med: 5.5},
		{v: []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}, p: 50, want: 5, med: 5.5},
		{v: nil, p: 50, want: 0, med: 0},
	}
	for _, tt := range tests {
		if got := percentile(tt.v, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.v, tt.p, got, tt.want)
		}
		s := append([]float64(nil), tt.v...)
		sort.Float64s(s)
		if got := median(s); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", s, got, tt.med)
		}
	}
}

// The generic payload carries what correlation needs: normalising it gives
// back each alert's resources, entity keys, stages and times, under the id
// StoredID names.
func TestGenericPayloadRoundTrips(t *testing.T) {
	sc := scenario.Generate(scenario.Small(3))
	in := sc.Alerts[:60]
	res, err := normalize.Parse("generic", Generic(in), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(in) {
		t.Fatalf("%d results for %d alerts", len(res), len(in))
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("alert %d rejected: %v", i, r.Err)
		}
		a, b := in[i], r.Alert
		if b.ID != StoredID(a) {
			t.Errorf("alert %d: id %s, want %s", i, b.ID, StoredID(a))
		}
		if !reflect.DeepEqual(a.Keys(), b.Keys()) || !reflect.DeepEqual(a.Tactics, b.Tactics) ||
			!a.FirstSeen.Equal(b.FirstSeen) || a.Severity != b.Severity {
			t.Errorf("alert %d changed through the generic format:\n%+v\n%+v", i, a, b)
		}
	}
}

func TestMusterGrouperOnASmallScenario(t *testing.T) {
	sc := scenario.Generate(scenario.Small(5))
	m := &Muster{}
	groups := m.Group(sc.Alerts)
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	r := quality.Score(groups, sc.Labels)
	if r.UnknownIDs != 0 || r.DuplicatedIDs != 0 {
		t.Fatalf("grouping names unknown or repeated alerts: %+v", r)
	}
	if r.Incidents == 0 {
		t.Fatal("no incidents from a scenario with campaigns")
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -12345: "-12,345"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

// Replaying in firstSeen order gives every incident a formation time no
// later than its last member's firstSeen and no earlier than its first.
func TestMusterGroupInTime(t *testing.T) {
	sc := scenario.Generate(scenario.Small(5))
	m := &Muster{}
	inc := m.GroupInTime(sc.Alerts)
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	if len(inc) == 0 {
		t.Fatal("no incidents")
	}
	seen := map[string]time.Time{}
	for _, a := range sc.Alerts {
		seen[a.ID] = a.FirstSeen
	}
	for _, f := range inc {
		first, last := seen[f.IDs[0]], seen[f.IDs[0]]
		for _, id := range f.IDs {
			first, last = minTime(first, seen[id]), maxTime(last, seen[id])
		}
		if f.At.Before(first) || f.At.After(last) {
			t.Errorf("incident of %d alerts formed at %s, members from %s to %s", len(f.IDs), f.At, first, last)
		}
	}
	if d := quality.TimeToDetect(inc, sc.Alerts, sc.Labels); d.Detected == 0 {
		t.Errorf("no campaign detected in time: %+v", d)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
