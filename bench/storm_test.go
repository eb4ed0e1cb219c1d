package bench

import (
	"context"
	"strings"
	"testing"
)

// The short storm runs end to end: every alert ingested and correlated,
// the campaigns found, each index's hottest partition metered, and the
// report renders it.
func TestMeasureStormShort(t *testing.T) {
	r, err := MeasureStorm(context.Background(), StormConfig(1, true))
	if err != nil {
		t.Fatal(err)
	}
	if r.Accepted != r.Alerts || r.Alerts == 0 {
		t.Fatalf("accepted %d of %d alerts", r.Accepted, r.Alerts)
	}
	if want := (r.Alerts + 99) / 100; r.Batches != want {
		t.Errorf("batches = %d, want %d", r.Batches, want)
	}
	if r.Quality.Detected != r.Campaigns {
		t.Errorf("detected %d of %d campaigns", r.Quality.Detected, r.Campaigns)
	}
	indexes := map[string]bool{}
	for _, h := range r.Hottest {
		indexes[h.Index] = true
		if h.PeakWRU <= 0 || h.Writes == 0 {
			t.Errorf("index %s: hottest partition %q has no load", h.Index, h.Key)
		}
	}
	for _, ix := range []string{"table", "gsi1", "gsi2", "gsi3"} {
		if !indexes[ix] {
			t.Errorf("no partition load for %s", ix)
		}
	}
	if r.Bill.Total <= 0 || r.TableWRU <= 0 || r.IndexWRU <= 0 {
		t.Errorf("bill %+v from %v table and %v index WRU", r.Bill, r.TableWRU, r.IndexWRU)
	}
	rep := &Report{Storm: &r, Short: true}
	rep.ComputeTargets()
	md := rep.Markdown()
	if !strings.Contains(md, "## A storm") {
		t.Errorf("report has no storm section")
	}
	for _, tg := range rep.stormTargets() {
		if tg.Status == "not measured" || !strings.Contains(md, tg.Name) {
			t.Errorf("storm target %q: %s, shown: %v", tg.Name, tg.Status, strings.Contains(md, tg.Name))
		}
	}
}
