package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/killchain"
)

type manifestEntry struct {
	Provider string `json:"provider"`
	File     string `json:"file"`
	Role     string `json:"role"` // campaign | second-instance | noise
}

func loadManifest(t *testing.T) []manifestEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "events", "samples", "scenario", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return m
}

// post sends one sample file to its provider's webhook and returns the
// ids of the alerts it produced.
func post(t *testing.T, e manifestEntry, send func(path string, body []byte) (int, []byte, webhookResult)) []string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot(t), e.File))
	if err != nil {
		t.Fatal(err)
	}
	status, raw, res := send("/webhooks/"+e.Provider, body)
	if status != http.StatusAccepted {
		t.Fatalf("POST %s (%s): %d %s", e.File, e.Provider, status, raw)
	}
	var ids []string
	for _, it := range res.Results {
		if it.Status == "rejected" {
			t.Errorf("%s: item %d rejected: %s", e.File, it.Index, raw)
		}
		if it.AlertID != "" {
			ids = append(ids, it.AlertID)
		}
	}
	return ids
}

// TestScenario runs the sample scenario through the local runner: the
// multi-source campaign on web-prod-1 becomes one incident with its stages
// in kill-chain order; the same attacker on a second instance turns it into
// a multi-resource incident; noise creates no incident.
func TestScenario(t *testing.T) {
	r := startRunner(t, nil)
	send := func(path string, body []byte) (int, []byte, webhookResult) {
		var res webhookResult
		status, raw := call(t, r, http.MethodPost, path, body, &res)
		return status, raw, res
	}
	byRole := map[string][]manifestEntry{}
	for _, e := range loadManifest(t) {
		byRole[e.Role] = append(byRole[e.Role], e)
	}
	if len(byRole["campaign"]) == 0 || len(byRole["second-instance"]) == 0 || len(byRole["noise"]) == 0 {
		t.Fatalf("manifest lacks a role: %v", byRole)
	}

	for _, e := range byRole["campaign"] {
		post(t, e, send)
	}
	var inc incidentView
	eventually(t, 60*time.Second, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		if len(list) != 1 {
			return fmt.Sprintf("%d incidents after the campaign, want 1: %+v", len(list), list)
		}
		inc = list[0]
		if inc.Title != "Security incident detected on web-prod-1" {
			return fmt.Sprintf("title %q", inc.Title)
		}
		return ""
	})
	assertKillChainOrder(t, inc.Tactics)
	if len(inc.Tactics) < 3 {
		t.Errorf("campaign reached %v, want at least three stages", inc.Tactics)
	}
	campaignAlerts := inc.AlertCount

	var noiseIDs []string
	for _, e := range byRole["noise"] {
		noiseIDs = append(noiseIDs, post(t, e, send)...)
	}
	for _, e := range byRole["second-instance"] {
		post(t, e, send)
	}
	eventually(t, 60*time.Second, func() string {
		list, reason := incidents(t, r)
		if reason != "" {
			return reason
		}
		for _, x := range list {
			if x.ID == inc.ID {
				inc = x
			}
		}
		if inc.Title != "Security incident detected on multiple resources" {
			return fmt.Sprintf("title %q after the second-instance alert", inc.Title)
		}
		return ""
	})
	if !inc.MultiResource || inc.AlertCount <= campaignAlerts {
		t.Errorf("after the second instance: multiResource %v, alerts %d (was %d)", inc.MultiResource, inc.AlertCount, campaignAlerts)
	}
	assertKillChainOrder(t, inc.Tactics)

	// The stream is ordered, so the noise posted before the second-instance
	// alert has been correlated by now.
	list, reason := incidents(t, r)
	if reason != "" {
		t.Fatal(reason)
	}
	if len(list) != 1 {
		t.Errorf("%d incidents, want only the campaign's: %+v", len(list), list)
	}
	if len(noiseIDs) == 0 {
		t.Error("the noise samples produced no alerts")
	}
	for _, id := range noiseIDs {
		var a struct {
			ID         string `json:"id"`
			IncidentID string `json:"incidentId"`
		}
		status, raw := call(t, r, http.MethodGet, "/alerts/"+id, nil, &a)
		if status != http.StatusOK {
			t.Errorf("GET /alerts/%s: %d %s", id, status, raw)
			continue
		}
		if a.IncidentID != "" {
			t.Errorf("noise alert %s joined incident %s", id, a.IncidentID)
		}
	}
}

func assertKillChainOrder(t *testing.T, tactics []string) {
	t.Helper()
	prev := killchain.Unknown
	for i, s := range tactics {
		st, ok := killchain.Parse(s)
		if !ok || st == killchain.Unknown {
			t.Errorf("tactic %q is not a kill-chain stage", s)
			continue
		}
		if i > 0 && st <= prev {
			t.Errorf("tactics %v are not in kill-chain order", tactics)
			return
		}
		prev = st
	}
}
