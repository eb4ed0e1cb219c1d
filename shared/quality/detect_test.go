package quality_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/quality"
)

func TestTimeToDetect(t *testing.T) {
	h := time.Hour
	// c1: a1 at 0h, a2 at 2h, a3 at 5h. c2: b1 at 10h, b2 at 11h. Noise n1 at 1h.
	alerts := []*alert.Alert{
		mk("a1", "r1", 0), mk("a2", "r1", 2*h), mk("a3", "r1", 5*h),
		mk("b1", "r2", 10*h), mk("b2", "r2", 11*h), mk("n1", "r1", h),
	}
	tests := []struct {
		name      string
		incidents []quality.Formed
		want      map[string]time.Duration
	}{
		{
			// The incident formed when a2 arrived (2h): c1 detected 2h after a1.
			// c2's incident formed at b2 (11h): 1h after b1.
			name: "formed when the second stage arrived",
			incidents: []quality.Formed{
				{IDs: []string{"a1", "a2", "a3"}, At: t0.Add(2 * h)},
				{IDs: []string{"b1", "b2"}, At: t0.Add(11 * h)},
			},
			want: map[string]time.Duration{"c1": 2 * h, "c2": h},
		},
		{
			// A noise incident formed at 1h and c1's later alerts joined it: the
			// campaign is detected when its earliest alert in it (a2, 2h) is
			// there, 2h after its first alert a1. c2 has no incident.
			name: "joined an incident formed earlier",
			incidents: []quality.Formed{
				{IDs: []string{"n1", "a2", "a3"}, At: t0.Add(h)},
			},
			want: map[string]time.Duration{"c1": 2 * h},
		},
		{
			// Half of c2 (one of two) is no majority: not detected. A duplicated
			// id counts in its first incident only, and unknown ids are ignored.
			name: "no majority, duplicates and unknown ids",
			incidents: []quality.Formed{
				{IDs: []string{"b1", "a1", "zz"}, At: t0.Add(10 * h)},
				{IDs: []string{"a1", "a2", "a3"}, At: t0.Add(5 * h)},
			},
			want: map[string]time.Duration{"c1": 5 * h},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quality.TimeToDetect(tt.incidents, alerts, labels)
			if !reflect.DeepEqual(got.Delays, tt.want) {
				t.Fatalf("delays = %v, want %v", got.Delays, tt.want)
			}
			if got.Campaigns != 2 || got.Detected != len(tt.want) {
				t.Fatalf("campaigns %d detected %d, want 2 and %d", got.Campaigns, got.Detected, len(tt.want))
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	s := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x)
		}
		return out
	}
	tests := []struct {
		v    []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{s(7), 90, 7},
		{s(1, 2, 3, 4), 50, 2},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 90, 10},
		{s(1, 2, 3), 100, 3},
		{s(1, 2, 3), 0, 1},
	}
	for _, tt := range tests {
		if got := quality.Percentile(tt.v, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.v, tt.p, got, tt.want)
		}
	}
}

func TestPartitionDiff(t *testing.T) {
	tests := []struct {
		name string
		a, b [][]string
		want int
	}{
		{"same, reordered", [][]string{{"a", "b"}, {"c", "d", "e"}}, [][]string{{"e", "c", "d"}, {"b", "a"}}, 0},
		{"one alert moved", [][]string{{"a", "b", "c"}, {"d", "e"}}, [][]string{{"a", "b"}, {"c", "d", "e"}}, 5},
		{"an incident missing", [][]string{{"a", "b"}, {"c", "d"}}, [][]string{{"a", "b"}}, 2},
		{"split in two", [][]string{{"a", "b", "c", "d"}}, [][]string{{"a", "b"}, {"c", "d"}}, 4},
		{"both empty", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quality.PartitionDiff(tt.a, tt.b); got != tt.want {
				t.Fatalf("PartitionDiff = %d, want %d", got, tt.want)
			}
			if got := quality.PartitionDiff(tt.b, tt.a); got != tt.want {
				t.Fatalf("PartitionDiff reversed = %d, want %d", got, tt.want)
			}
		})
	}
}
