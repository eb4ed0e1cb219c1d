package normalize_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

// manifestEntry is one line of events/samples/scenario/manifest.json.
type manifestEntry struct {
	Provider string `json:"provider"`
	File     string `json:"file"`
	Role     string `json:"role"`
}

// TestScenarioManifest checks the correlation scenario's payloads tell the
// story the scenario test relies on: one campaign on web-prod-1, the same
// attacker on a second instance within a day, and unrelated noise.
func TestScenarioManifest(t *testing.T) {
	var entries []manifestEntry
	if err := json.Unmarshal(readFile(t, filepath.Join(samplesDir, "scenario", "manifest.json")), &entries); err != nil {
		t.Fatal(err)
	}
	byRole := map[string][]*alert.Alert{}
	var earliest, latest time.Time
	for _, e := range entries {
		path := filepath.Join("..", "..", e.File)
		if !strings.HasPrefix(e.File, "events/samples/"+e.Provider+"/") {
			t.Errorf("%s is not under its provider folder", e.File)
		}
		results, err := normalize.Parse(e.Provider, readFile(t, path), receivedAt)
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Fatalf("%s item %d rejected: %v", e.File, r.Index, r.Err)
			}
			a := r.Alert
			byRole[e.Role] = append(byRole[e.Role], a)
			if earliest.IsZero() || a.FirstSeen.Before(earliest) {
				earliest = a.FirstSeen
			}
			if a.FirstSeen.After(latest) {
				latest = a.FirstSeen
			}
		}
	}
	for role := range byRole {
		if role != "campaign" && role != "second-instance" && role != "noise" {
			t.Errorf("unknown role %q", role)
		}
	}
	if latest.Sub(earliest) > 24*time.Hour {
		t.Errorf("firstSeen spans %v, more than a day", latest.Sub(earliest))
	}

	const web, api, attacker = "i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a40321", "ip:203.0.113.66"
	campaign := byRole["campaign"]
	var stages killchain.Set
	ids := map[string]bool{}
	for _, a := range campaign {
		ids[a.ID] = true
		stages = stages.Union(a.Stages())
		for _, r := range a.Resources {
			if r.ID != web {
				t.Errorf("campaign alert %s touches %s", a.Type, r.ID)
			}
		}
	}
	if len(ids) != len(campaign)-2 {
		t.Errorf("campaign has %d alerts and %d distinct ids; want the two Security Hub copies to share ids", len(campaign), len(ids))
	}
	want := killchain.NewSet(killchain.PreAttack, killchain.InitialAccess, killchain.CredentialAccess,
		killchain.Execution, killchain.CommandAndControl, killchain.Exfiltration)
	if stages != want {
		t.Errorf("campaign stages %v, want %v", stages.Stages(), want.Stages())
	}
	second := byRole["second-instance"]
	if len(second) == 0 || second[0].Resources[0].ID != api || !hasKey(second[0], attacker) {
		t.Errorf("second-instance alert must hit %s from the attacker", api)
	}
	campaignKeys := map[alert.Key]bool{}
	for _, a := range campaign {
		for _, k := range a.Keys() {
			campaignKeys[k] = true
		}
	}
	noise := byRole["noise"]
	if len(noise) < 3 {
		t.Errorf("%d noise alerts, want at least 3", len(noise))
	}
	noiseKeys := map[alert.Key]string{}
	for _, a := range noise {
		if a.Stages().Len() != 1 {
			t.Errorf("noise %s has stages %v", a.Type, a.Tactics)
		}
		for _, e := range a.Entities {
			if e.Public {
				t.Errorf("noise %s carries public IP %s", a.Type, e.Value)
			}
		}
		for _, k := range a.Keys() {
			if campaignKeys[k] {
				t.Errorf("noise %s shares key %s with the campaign", a.Type, k)
			}
			if other, ok := noiseKeys[k]; ok && other != a.ID {
				t.Errorf("noise alerts share key %s", k)
			}
			noiseKeys[k] = a.ID
		}
	}
}

func hasKey(a *alert.Alert, k alert.Key) bool {
	for _, x := range a.Keys() {
		if x == k {
			return true
		}
	}
	return false
}
