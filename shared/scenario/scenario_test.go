package scenario_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/scenario"
)

func TestGenerateIsDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  scenario.Config
	}{
		{"small", scenario.Small(7)},
		{"small shuffled", func() scenario.Config { c := scenario.Small(7); c.Shuffle = true; return c }()},
		{"default", scenario.DefaultConfig()},
		{"legacy noise", scenario.Legacy(7)},
		{"storm", scenario.Storm(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := scenario.Generate(tt.cfg), scenario.Generate(tt.cfg)
			if got, want := fingerprint(t, a), fingerprint(t, b); got != want {
				t.Fatalf("two runs with one seed differ")
			}
			other := tt.cfg
			other.Seed++
			if fingerprint(t, scenario.Generate(other)) == fingerprint(t, a) {
				t.Fatalf("a different seed gave the same scenario")
			}
		})
	}
}

func fingerprint(t *testing.T, s *scenario.Scenario) string {
	t.Helper()
	type row struct {
		A *alert.Alert
		L string
	}
	rows := make([]row, len(s.Alerts))
	for i, a := range s.Alerts {
		rows[i] = row{a, s.Labels[a.ID]}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLabelsAreSane(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		cfg := scenario.Small(seed)
		s := scenario.Generate(cfg)
		ids := map[string]bool{}
		for _, a := range s.Alerts {
			if ids[a.ID] {
				t.Fatalf("seed %d: duplicate alert id %s", seed, a.ID)
			}
			ids[a.ID] = true
			if err := a.Validate(); err != nil {
				t.Fatalf("seed %d: alert %s invalid: %v", seed, a.ID, err)
			}
			if _, ok := s.Labels[a.ID]; !ok {
				t.Fatalf("seed %d: alert %s has no label", seed, a.ID)
			}
		}
		if len(s.Labels) != len(s.Alerts) {
			t.Fatalf("seed %d: %d labels for %d alerts", seed, len(s.Labels), len(s.Alerts))
		}
		if got, want := len(s.Campaigns), cfg.Campaigns+cfg.Repeats+cfg.Overlaps; got != want {
			t.Fatalf("seed %d: %d campaigns, want %d", seed, got, want)
		}
		labelled := 0
		for _, c := range s.Campaigns {
			labelled += len(c.AlertIDs)
			if len(c.AlertIDs) < cfg.MinAlerts {
				t.Errorf("%s: %d alerts, want at least %d", c.ID, len(c.AlertIDs), cfg.MinAlerts)
			}
			if len(c.Stages) < 2 {
				t.Errorf("%s: stages %v, want at least 2", c.ID, c.Stages)
			}
			for _, id := range c.AlertIDs {
				if s.Labels[id] != c.ID {
					t.Errorf("%s: alert %s labelled %q", c.ID, id, s.Labels[id])
				}
			}
			if !linked(campaignAlerts(s, c), 24*time.Hour) {
				t.Errorf("%s: its alerts are not one linked component within 24h", c.ID)
			}
			if c.End.Sub(c.Start) > cfg.MaxDuration {
				t.Errorf("%s: lasts %s", c.ID, c.End.Sub(c.Start))
			}
		}
		if noise := s.NoiseCount(); labelled+noise != len(s.Alerts) {
			t.Fatalf("seed %d: %d campaign + %d noise alerts != %d", seed, labelled, noise, len(s.Alerts))
		}
		inPatterns := 0
		for _, p := range s.Patterns {
			inPatterns += len(p.AlertIDs)
			for _, id := range p.AlertIDs {
				if s.Labels[id] != scenario.Noise {
					t.Errorf("seed %d: %s alert %s labelled %q", seed, p.Name, id, s.Labels[id])
				}
			}
		}
		if got := s.NoiseCount(); got != inPatterns {
			t.Fatalf("seed %d: %d noise alerts, %d in patterns", seed, got, inPatterns)
		}
	}
}

func TestRepeatsAreFarApartOnTheSameResource(t *testing.T) {
	s := scenario.Generate(scenario.Small(11))
	byID := map[string]scenario.Campaign{}
	for _, c := range s.Campaigns {
		byID[c.ID] = c
	}
	repeats := 0
	for _, c := range s.Campaigns {
		if c.RepeatOf == "" {
			continue
		}
		repeats++
		prev := byID[c.RepeatOf]
		if c.Resources[0] != prev.Resources[0] {
			t.Errorf("%s on %s, its original %s on %s", c.ID, c.Resources[0], prev.ID, prev.Resources[0])
		}
		if gap := c.Start.Sub(prev.End); gap < s.Config.RepeatGap {
			t.Errorf("%s starts %s after %s ends", c.ID, gap, prev.ID)
		}
		if c.AttackerIP == prev.AttackerIP {
			t.Errorf("%s reuses the attacker IP of %s", c.ID, prev.ID)
		}
	}
	if repeats != s.Config.Repeats {
		t.Fatalf("%d repeats, want %d", repeats, s.Config.Repeats)
	}
}

func TestOverlapsShareAResourceInsideTheWindow(t *testing.T) {
	cfg := scenario.Small(13)
	cfg.Overlaps = 3
	s := scenario.Generate(cfg)
	byID := map[string]scenario.Campaign{}
	for _, c := range s.Campaigns {
		byID[c.ID] = c
	}
	n := 0
	for _, c := range s.Campaigns {
		if c.OverlapOf == "" {
			continue
		}
		n++
		prev := byID[c.OverlapOf]
		if c.Resources[0] != prev.Resources[0] {
			t.Errorf("%s on %s, %s on %s", c.ID, c.Resources[0], prev.ID, prev.Resources[0])
		}
		if d := c.Start.Sub(prev.Start); d < time.Hour || d > 12*time.Hour {
			t.Errorf("%s starts %s after %s", c.ID, d, prev.ID)
		}
		if c.AttackerIP == prev.AttackerIP {
			t.Errorf("%s reuses the attacker IP of %s", c.ID, prev.ID)
		}
	}
	if n != cfg.Overlaps {
		t.Fatalf("%d overlapping campaigns, want %d", n, cfg.Overlaps)
	}
}

func TestScenarioHasTheIntendedShape(t *testing.T) {
	s := scenario.Generate(scenario.Legacy(1))
	providers := map[string]bool{}
	multi, outOfOrder := 0, 0
	for i, a := range s.Alerts {
		providers[a.Provider] = true
		if i > 0 && a.FirstSeen.Before(s.Alerts[i-1].FirstSeen) {
			outOfOrder++
		}
	}
	for _, p := range []string{alert.ProviderGuardDuty, alert.ProviderAlertmanager, alert.ProviderFalco,
		alert.ProviderSecurityHub, alert.ProviderDefender, alert.ProviderOCSF} {
		if !providers[p] {
			t.Errorf("no %s alerts", p)
		}
	}
	if outOfOrder == 0 {
		t.Error("alerts are delivered in firstSeen order; want some out of order")
	}
	for _, c := range s.Campaigns {
		instances := 0
		for _, r := range c.Resources {
			if len(r) > 2 && r[:2] == "i-" {
				instances++
			}
		}
		if instances > 1 {
			multi++
		}
	}
	if multi == 0 {
		t.Error("no campaign spans several instances")
	}
	// Each scanner's IP is public and names ScanTargets resources.
	for _, sc := range s.Scanners {
		res := map[string]bool{}
		for _, id := range sc.AlertIDs {
			res[byID(s, id).PrimaryResource()] = true
		}
		if len(res) != s.Config.ScanTargets {
			t.Errorf("scanner %s touches %d resources, want %d", sc.IP, len(res), s.Config.ScanTargets)
		}
	}
	// Noise carries private IPs only from the shared pool; they are never keys.
	for _, a := range s.Alerts {
		if s.Labels[a.ID] != scenario.Noise {
			continue
		}
		for _, k := range a.Keys() {
			if k.Kind() == "ip" && !isScanner(s, string(k[3:])) {
				t.Fatalf("noise alert %s has public IP key %s", a.ID, k)
			}
		}
		for _, st := range a.Tactics {
			if st == killchain.Unknown {
				t.Fatalf("Unknown stage kept in tactics")
			}
		}
	}
}

func byID(s *scenario.Scenario, id string) *alert.Alert {
	for _, a := range s.Alerts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func isScanner(s *scenario.Scenario, ip string) bool {
	for _, sc := range s.Scanners {
		if sc.IP == ip {
			return true
		}
	}
	return false
}

func campaignAlerts(s *scenario.Scenario, c scenario.Campaign) []*alert.Alert {
	var out []*alert.Alert
	for _, id := range c.AlertIDs {
		out = append(out, byID(s, id))
	}
	return out
}

// linked reports whether the alerts form one component under the link
// rule (docs/correlation.md): a shared correlation key and firstSeen at most w apart.
func linked(as []*alert.Alert, w time.Duration) bool {
	parent := make([]int, len(as))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			i = parent[i]
		}
		return i
	}
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			d := as[i].FirstSeen.Sub(as[j].FirstSeen)
			if d < 0 {
				d = -d
			}
			if d > w || !shareKey(as[i], as[j]) {
				continue
			}
			parent[find(i)] = find(j)
		}
	}
	root := find(0)
	for i := range as {
		if find(i) != root {
			return false
		}
	}
	return true
}

func shareKey(a, b *alert.Alert) bool {
	keys := map[alert.Key]bool{}
	for _, k := range a.Keys() {
		keys[k] = true
	}
	for _, k := range b.Keys() {
		if keys[k] {
			return true
		}
	}
	return false
}
