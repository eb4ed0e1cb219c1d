package scenario_test

import (
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/scenario"
)

// Every realistic pattern is present, and the routine ones repeat across
// many resources and days: that is what makes them routine.
func TestRealisticPatternsRepeat(t *testing.T) {
	tests := []struct {
		pattern       string
		minResources  int
		minDays       int
		stages        []killchain.Stage // each must appear among the pattern's alerts
		sharedKeyKind string            // one key of this kind on every alert of the stage below
		sharedOn      killchain.Stage
	}{
		{pattern: scenario.PatternBackground, minResources: 100, minDays: 14},
		{pattern: scenario.PatternScanners, minResources: 100, minDays: 1, stages: []killchain.Stage{killchain.PreAttack}},
		{pattern: scenario.PatternVulnScan, minResources: 21, minDays: 14, stages: []killchain.Stage{killchain.PreAttack},
			sharedKeyKind: "host", sharedOn: killchain.PreAttack},
		{pattern: scenario.PatternCI, minResources: 6, minDays: 10, stages: []killchain.Stage{killchain.Discovery, killchain.Persistence},
			sharedKeyKind: "ip", sharedOn: killchain.Discovery},
		{pattern: scenario.PatternBackup, minResources: 12, minDays: 14, stages: []killchain.Stage{killchain.Discovery, killchain.Exfiltration},
			sharedKeyKind: "account", sharedOn: killchain.Discovery},
		{pattern: scenario.PatternAdminSSH, minResources: 10, minDays: 10, stages: []killchain.Stage{killchain.InitialAccess, killchain.Execution},
			sharedKeyKind: "ip", sharedOn: killchain.InitialAccess},
		{pattern: scenario.PatternProbeDiscovery, minResources: 8, minDays: 14, stages: []killchain.Stage{killchain.PreAttack, killchain.Discovery}},
		{pattern: scenario.PatternPosture, minResources: 24, minDays: 14},
	}
	for _, seed := range []uint64{1, 2, 101} {
		cfg := scenario.DefaultConfig()
		cfg.Seed = seed
		s := scenario.Generate(cfg)
		ids := alertsByID(s)
		for _, tt := range tests {
			t.Run(tt.pattern, func(t *testing.T) {
				p, ok := patternNamed(s, tt.pattern)
				if !ok {
					t.Fatalf("seed %d: no %s pattern", seed, tt.pattern)
				}
				if p.Resources < tt.minResources || p.Days < tt.minDays {
					t.Errorf("seed %d: %d resources over %d days, want at least %d over %d", seed, p.Resources, p.Days, tt.minResources, tt.minDays)
				}
				stages := map[killchain.Stage]bool{}
				var shared map[alert.Key]bool
				for _, id := range p.AlertIDs {
					a := ids[id]
					if s.Labels[id] != scenario.Noise {
						t.Fatalf("seed %d: %s labelled %q", seed, id, s.Labels[id])
					}
					for _, st := range a.Tactics {
						stages[st] = true
					}
					if tt.sharedKeyKind != "" && stageOf(a) == tt.sharedOn {
						shared = intersect(shared, a, tt.sharedKeyKind)
					}
				}
				for _, st := range tt.stages {
					if !stages[st] {
						t.Errorf("seed %d: no %s alert", seed, st)
					}
				}
				if tt.sharedKeyKind != "" && len(shared) != 1 {
					t.Errorf("seed %d: %s keys common to the %s alerts: %v, want one", seed, tt.sharedKeyKind, tt.sharedOn, shared)
				}
			})
		}
	}
}

func TestRoutineShapes(t *testing.T) {
	cfg := scenario.DefaultConfig()
	cfg.Seed = 1
	s := scenario.Generate(cfg)
	ids := alertsByID(s)
	t.Run("admin SSH on working days only, login then shell on one host", func(t *testing.T) {
		p, _ := patternNamed(s, scenario.PatternAdminSSH)
		perHostDay := map[string]int{}
		for _, id := range p.AlertIDs {
			a := ids[id]
			if d := a.FirstSeen.Weekday(); d == time.Saturday || d == time.Sunday {
				t.Fatalf("admin alert %s on a %s", id, d)
			}
			perHostDay[a.PrimaryResource()+a.FirstSeen.Format(time.DateOnly)]++
		}
		for k, n := range perHostDay {
			if n != 2 {
				t.Errorf("%s: %d alerts, want a login and a shell", k, n)
			}
		}
	})
	t.Run("posture findings: no stage, the same resources every day", func(t *testing.T) {
		p, _ := patternNamed(s, scenario.PatternPosture)
		perResource := map[string]int{}
		for _, id := range p.AlertIDs {
			a := ids[id]
			if len(a.Tactics) != 0 {
				t.Fatalf("posture alert %s has tactics %v", id, a.Tactics)
			}
			perResource[a.PrimaryResource()]++
		}
		for r, n := range perResource {
			if n != p.Days {
				t.Errorf("%s reported on %d days of %d", r, n, p.Days)
			}
		}
	})
	t.Run("legacy model has background and scanners only", func(t *testing.T) {
		l := scenario.Generate(scenario.Legacy(1))
		if len(l.Patterns) != 2 || l.Patterns[0].Name != scenario.PatternBackground || l.Patterns[1].Name != scenario.PatternScanners {
			t.Fatalf("legacy patterns: %v", patternNames(l))
		}
	})
	t.Run("same campaigns under both models", func(t *testing.T) {
		l := scenario.Generate(scenario.Legacy(1))
		if len(l.Campaigns) != len(s.Campaigns) {
			t.Fatalf("%d campaigns, legacy %d", len(s.Campaigns), len(l.Campaigns))
		}
		for i := range s.Campaigns {
			if a, b := s.Campaigns[i], l.Campaigns[i]; a.ID != b.ID || !a.Start.Equal(b.Start) || len(a.AlertIDs) != len(b.AlertIDs) {
				t.Errorf("campaign %d differs: %s %s %d, legacy %s %s %d", i, a.ID, a.Start, len(a.AlertIDs), b.ID, b.Start, len(b.AlertIDs))
			}
		}
	})
	t.Run("about the size of the legacy scenario", func(t *testing.T) {
		if n := len(s.Alerts); n < 2000 || n > 4000 {
			t.Errorf("%d alerts, want a few thousand", n)
		}
	})
	t.Run("a routine pattern can be turned off", func(t *testing.T) {
		cfg := scenario.DefaultConfig()
		cfg.Routine.AdminHosts = -1
		if _, ok := patternNamed(scenario.Generate(cfg), scenario.PatternAdminSSH); ok {
			t.Fatal("admin SSH present with AdminHosts -1")
		}
	})
}

func alertsByID(s *scenario.Scenario) map[string]*alert.Alert {
	out := make(map[string]*alert.Alert, len(s.Alerts))
	for _, a := range s.Alerts {
		out[a.ID] = a
	}
	return out
}

func patternNamed(s *scenario.Scenario, name string) (scenario.Pattern, bool) {
	for _, p := range s.Patterns {
		if p.Name == name {
			return p, true
		}
	}
	return scenario.Pattern{}, false
}

func patternNames(s *scenario.Scenario) []string {
	var out []string
	for _, p := range s.Patterns {
		out = append(out, p.Name)
	}
	return out
}

func stageOf(a *alert.Alert) killchain.Stage {
	if len(a.Tactics) == 0 {
		return killchain.Unknown
	}
	return a.Tactics[0]
}

// intersect returns the keys of one kind in both acc and a's keys (all of
// a's when acc is nil).
func intersect(acc map[alert.Key]bool, a *alert.Alert, kind string) map[alert.Key]bool {
	out := map[alert.Key]bool{}
	for _, k := range a.Keys() {
		if k.Kind() == kind && (acc == nil || acc[k]) {
			out[k] = true
		}
	}
	return out
}

// Scaling keeps the density per day: twice the scenario is about twice the
// alerts, routine patterns included.
func TestScaleKeepsDensity(t *testing.T) {
	one := len(scenario.Generate(scenario.Scale(1, 1)).Alerts)
	two := len(scenario.Generate(scenario.Scale(1, 2)).Alerts)
	if r := float64(two) / float64(one); r < 1.8 || r > 2.2 {
		t.Fatalf("scale 2 gives %d alerts against %d (%.2f×), want about 2×", two, one, r)
	}
}
