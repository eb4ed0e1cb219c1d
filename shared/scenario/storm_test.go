package scenario_test

import (
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/scenario"
)

// TestStormShape checks the storm preset against what it promises: about
// 50,000 alerts delivered within its ten minutes (plus the delay), 40,000
// of them from ten scanners over about 5,000 resources (instances), and 20
// campaigns inside the window.
func TestStormShape(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 50,000 alerts")
	}
	cfg := scenario.Storm(1)
	s := scenario.Generate(cfg)
	if n := len(s.Alerts); n < 49_000 || n > 51_000 {
		t.Errorf("alerts = %d, want about 50,000", n)
	}
	probes, scanned := 0, map[string]bool{}
	for _, sc := range s.Scanners {
		probes += len(sc.AlertIDs)
		for _, id := range sc.AlertIDs {
			scanned[id] = true
		}
	}
	if len(s.Scanners) != 10 || probes != 40_000 {
		t.Errorf("scanners = %d with %d probes, want 10 with 40,000", len(s.Scanners), probes)
	}
	if len(s.Campaigns) != 20 {
		t.Errorf("campaigns = %d, want 20", len(s.Campaigns))
	}
	end := cfg.Start.Add(cfg.Span + cfg.MaxDelay)
	resources := map[string]bool{}
	for _, a := range s.Alerts {
		if a.ReceivedAt.Before(cfg.Start) || !a.ReceivedAt.Before(end) {
			t.Fatalf("alert %s received at %s, outside %s – %s", a.ID, a.ReceivedAt, cfg.Start, end)
		}
		if scanned[a.ID] {
			resources[a.PrimaryResource()] = true
		}
	}
	if n := len(resources); n < 4_900 || n > 5_100 {
		t.Errorf("scanned resources = %d, want about 5,000", n)
	}
	for _, c := range s.Campaigns {
		if d := c.End.Sub(c.Start); d < 2*time.Minute || d > 8*time.Minute || c.End.After(cfg.Start.Add(cfg.Span)) {
			t.Errorf("campaign %s runs %s – %s, want 2–8 minutes inside the window", c.ID, c.Start, c.End)
		}
	}
}
