package listing_test

import (
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/listing"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestMatch(t *testing.T) {
	a := alert.Alert{Name: "SSH brute force", Type: "UnauthorizedAccess:EC2/SSHBruteForce", Provider: "guardduty",
		Severity: alert.Medium, Status: alert.StatusActive, Tactics: []killchain.Stage{killchain.InitialAccess},
		Resources: []alert.Resource{{ID: "i-1"}, {ID: "i-2"}}, IncidentID: "inc-1", LastSeen: t0}
	inc := incident.Incident{Title: "Security incident detected on multiple resources", Severity: alert.High,
		Status: incident.StatusInProgress, Sources: []string{"guardduty", "falco"}, Owner: "alice",
		Resources: []alert.Resource{{ID: "i-1"}, {ID: "i-2"}}, Tactics: []killchain.Stage{killchain.Execution}, LastActivity: t0}
	tests := []struct {
		name          string
		f             listing.Filter
		alert, incidt bool
	}{
		{"empty", listing.Filter{}, true, true},
		{"OR within a filter", listing.Filter{Severities: []string{"Low", "Medium", "High"}}, true, true},
		{"AND across filters", listing.Filter{Severities: []string{"Medium"}, Providers: []string{"falco"}}, false, false},
		{"primary resource only for alerts", listing.Filter{Resources: []string{"i-2"}}, false, true},
		{"type excludes incidents", listing.Filter{Types: []string{a.Type}}, true, false},
		{"incident excludes incidents", listing.Filter{Incidents: []string{"inc-1"}}, true, false},
		{"owner excludes alerts", listing.Filter{Owners: []string{"alice"}}, false, true},
		{"incident title by name", listing.Filter{Names: []string{inc.Title}}, false, true},
		{"tactic any", listing.Filter{Tactics: []string{"Execution", "Impact"}}, false, true},
		{"since inclusive", listing.Filter{Since: t0}, true, true},
		{"until inclusive", listing.Filter{Until: t0}, true, true},
		{"after until", listing.Filter{Until: t0.Add(-time.Nanosecond)}, false, false},
		{"status InProgress", listing.Filter{Statuses: []string{"InProgress"}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.MatchAlert(&a); got != tt.alert {
				t.Errorf("MatchAlert = %v", got)
			}
			if got := tt.f.MatchIncident(&inc); got != tt.incidt {
				t.Errorf("MatchIncident = %v", got)
			}
		})
	}
	merged := inc
	merged.MergedInto = "inc-0"
	if (&listing.Filter{}).MatchIncident(&merged) {
		t.Error("merged incident listed")
	}
}
