package incidentevent

import (
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/incident"
)

func TestFromResponseUpdate(t *testing.T) {
	at := t0.Add(2 * time.Hour)
	base := incident.ResponseRequest{ID: "req-1", IncidentID: "inc-7f3a9c2e1b", Playbook: "notify-oncall", RequestedAt: t0}
	running := base
	_ = running.Report(incident.ResponseReport{Status: incident.ResponseRunning}, at)
	cases := []struct {
		name     string
		old, new incident.ResponseRequest
		want     bool
		id       string
	}{
		{"first report", base, running, true, "inc-7f3a9c2e1b:response:req-1:r1"},
		{"no new report (a rewrite of the same item)", running, running, false, ""},
		{"no report at all", base, base, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := Builder{}.FromResponseUpdate(tc.old, tc.new, sample())
			if ok != tc.want || ev.ID() != tc.id {
				t.Fatalf("ok %v id %q, want %v %q", ok, ev.ID(), tc.want, tc.id)
			}
			if ok && (ev.DetailType != DetailTypeResponseUpdated || ev.Detail.Report.Sequence != 1 || !ev.Time.Equal(at)) {
				t.Errorf("event %+v", ev)
			}
		})
	}
}

func TestDiffSeesTags(t *testing.T) {
	old := sample()
	tagged := old
	tagged.Tags = []string{"pci"}
	cases := []struct {
		name     string
		old, new incident.Incident
		want     int
	}{
		{"tag added", old, tagged, 1},
		{"tag removed", tagged, old, 1},
		{"nil and empty alike", old, func() incident.Incident { i := old; i.Tags = []string{}; return i }(), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff(tc.old, tc.new); len(got) != tc.want {
				t.Errorf("Diff = %+v, want %d field(s)", got, tc.want)
			}
		})
	}
}
