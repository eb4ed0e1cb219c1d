package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
)

// HistoryStore reads one correlation key's key-days, newest first: what
// the investigation endpoints of the query API build on.
type HistoryStore interface {
	correlate.Store
	KeyHistory(ctx context.Context, key alert.Key, from, to string, limit int) ([]*correlate.KeyDay, error)
}

func init() { register("key history", runHistory) }

func runHistory(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	st, ok := newStore(t).(HistoryStore)
	if !ok {
		t.Fatalf("%T does not implement HistoryStore", st)
	}
	const key = alert.Key("ip:203.0.113.66")
	days := []string{"2026-11-01", "2026-11-15", "2026-11-18", "2026-11-20"}
	var kds []*correlate.KeyDay
	for i, d := range days {
		at, _ := time.Parse(correlate.DayLayout, d)
		kd := &correlate.KeyDay{Key: key, Day: d, Version: 1, Entries: correlate.NewEntries(map[string]correlate.Entry{
			"a" + d: {FirstSeen: at.Add(time.Hour), Group: "g1", Name: "Alert", Resources: []string{"i-0a1b2c3d4e5f60718"}},
		})}
		if i == 2 {
			kd.Noisy, kd.NoisySince, kd.NoisyResources = true, at.Add(2*time.Hour), 12
		}
		kds = append(kds, kd)
	}
	// Another key sharing the prefix must not leak in.
	other := &correlate.KeyDay{Key: key + "7", Day: "2026-11-18", Version: 1}
	if err := st.Commit(ctx, &correlate.Unit{KeyDays: append(slices.Clone(kds), other)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		key      alert.Key
		from, to string
		limit    int
		want     []string
	}{
		{"all, newest first", key, "2026-01-01", "2026-12-31", 10, []string{"2026-11-20", "2026-11-18", "2026-11-15", "2026-11-01"}},
		{"limit", key, "2026-01-01", "2026-12-31", 2, []string{"2026-11-20", "2026-11-18"}},
		{"bounds included", key, "2026-11-15", "2026-11-18", 10, []string{"2026-11-18", "2026-11-15"}},
		{"one day", key, "2026-11-18", "2026-11-18", 10, []string{"2026-11-18"}},
		{"empty range", key, "2026-11-02", "2026-11-14", 10, nil},
		{"unknown key", "ip:198.51.100.1", "2026-01-01", "2026-12-31", 10, nil},
		{"zero limit", key, "2026-01-01", "2026-12-31", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.KeyHistory(ctx, tt.key, tt.from, tt.to, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var gotDays []string
			for _, kd := range got {
				gotDays = append(gotDays, kd.Day)
				if kd.Key != tt.key {
					t.Errorf("key-day of %s, want %s", kd.Key, tt.key)
				}
			}
			if !slices.Equal(gotDays, tt.want) {
				t.Fatalf("days = %v, want %v", gotDays, tt.want)
			}
		})
	}
	t.Run("records round-trip", func(t *testing.T) {
		got, err := st.KeyHistory(ctx, key, "2026-11-18", "2026-11-18", 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("KeyHistory = %v, %v", got, err)
		}
		want := kds[2]
		if !got[0].Noisy || !got[0].NoisySince.Equal(want.NoisySince) || got[0].NoisyResources != 12 ||
			len(got[0].Entries) != 1 || !got[0].Entries[0].FirstSeen.Equal(want.Entries[0].FirstSeen) || got[0].Entries[0].Group != "g1" {
			t.Errorf("key-day = %+v, want %+v", got[0], want)
		}
	})
}
