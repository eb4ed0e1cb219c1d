package quality_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/quality"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func mk(id, resource string, at time.Duration, ents ...alert.Entity) *alert.Alert {
	return &alert.Alert{ID: id, Resources: []alert.Resource{{ID: resource}}, FirstSeen: t0.Add(at), Entities: ents}
}

func ip(v string) alert.Entity   { return alert.Entity{Type: alert.EntityIP, Value: v} }
func host(v string) alert.Entity { return alert.Entity{Type: alert.EntityHost, Value: v} }

func normalise(groups [][]string) [][]string {
	out := make([][]string, len(groups))
	for i, g := range groups {
		out[i] = append([]string(nil), g...)
		sort.Strings(out[i])
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

func TestBaselines(t *testing.T) {
	tests := []struct {
		name    string
		grouper quality.Grouper
		alerts  []*alert.Alert
		want    [][]string
	}{
		{
			name:    "by resource: same resource forever, singletons are no incident",
			grouper: quality.ByResource{},
			alerts: []*alert.Alert{
				mk("a", "r1", 0), mk("b", "r2", time.Hour), mk("c", "r1", 30*24*time.Hour),
				mk("d", "r3", 0), mk("e", "r3", time.Minute), mk("f", "r1", time.Hour, ip("45.1.2.3")),
			},
			want: [][]string{{"a", "c", "f"}, {"d", "e"}},
		},
		{
			name:    "by entity: chains within 5h, exactly 5h links, 5h+1s does not",
			grouper: quality.ByEntity{},
			alerts: []*alert.Alert{
				mk("a", "r1", 0, ip("10.0.0.1")),
				mk("b", "r2", 4*time.Hour, ip("10.0.0.1"), host("h")),
				mk("c", "r3", 8*time.Hour, host("h")),
				mk("d", "r4", 13*time.Hour, host("h")),
				mk("e", "r5", 18*time.Hour+time.Second, host("h")),
				mk("f", "r6", 0, ip("45.1.2.3")),
			},
			want: [][]string{{"a", "b", "c", "d"}},
		},
		{
			name:    "by entity: shared resource links, far apart does not",
			grouper: quality.ByEntity{},
			alerts: []*alert.Alert{
				mk("a", "r1", 0), mk("b", "r1", time.Hour), mk("c", "r1", 72*time.Hour),
			},
			want: [][]string{{"a", "b"}},
		},
		{
			name:    "by entity: custom window",
			grouper: quality.ByEntity{Window: time.Hour},
			alerts: []*alert.Alert{
				mk("a", "r1", 0), mk("b", "r1", 2*time.Hour), mk("c", "r2", 0, ip("10.0.0.1")), mk("d", "r3", 59*time.Minute, ip("10.0.0.1")),
			},
			want: [][]string{{"c", "d"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalise(tt.grouper.Group(tt.alerts))
			if !reflect.DeepEqual(got, normalise(tt.want)) {
				t.Fatalf("groups = %v, want %v", got, tt.want)
			}
		})
	}
}
