package incident_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
)

func TestResponseReports(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	running := incident.ResponseReport{Status: incident.ResponseRunning, Message: "isolating"}
	done := incident.ResponseReport{Status: incident.ResponseSucceeded, Outputs: map[string]any{"snapshot": "snap-1"}, Link: "https://console.aws.amazon.com/states"}
	failed := incident.ResponseReport{Status: incident.ResponseFailed, Message: "no such instance"}
	cases := []struct {
		name    string
		reports []incident.ResponseReport
		want    incident.ResponseStatus
		count   int64
		ignored int
	}{
		{"running then succeeded", []incident.ResponseReport{running, done}, incident.ResponseSucceeded, 2, 0},
		{"running twice", []incident.ResponseReport{running, running}, incident.ResponseRunning, 2, 0},
		{"succeeded then running is ignored", []incident.ResponseReport{done, running}, incident.ResponseSucceeded, 1, 1},
		{"failed then succeeded is ignored", []incident.ResponseReport{failed, done}, incident.ResponseFailed, 1, 1},
		{"straight to failed", []incident.ResponseReport{failed}, incident.ResponseFailed, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := incident.ResponseRequest{ID: "r1", RequestedAt: at}
			ignored := 0
			for i, rep := range tc.reports {
				err := r.Report(rep, at.Add(time.Duration(i+1)*time.Minute))
				if errors.Is(err, incident.ErrReportIgnored) {
					ignored++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if r.Status != tc.want || r.Reports != tc.count || ignored != tc.ignored {
				t.Errorf("status %s reports %d ignored %d, want %s %d %d", r.Status, r.Reports, ignored, tc.want, tc.count, tc.ignored)
			}
		})
	}
}

func TestResponseReportValidate(t *testing.T) {
	cases := []struct {
		name  string
		rep   incident.ResponseReport
		field string
	}{
		{"running", incident.ResponseReport{Status: "Running"}, ""},
		{"unknown status", incident.ResponseReport{Status: "Done"}, "status"},
		{"requested is not a report", incident.ResponseReport{Status: "Requested"}, "status"},
		{"long message", incident.ResponseReport{Status: "Running", Message: strings.Repeat("x", incident.MaxReportMessage+1)}, "message"},
		{"link not http", incident.ResponseReport{Status: "Running", Link: "javascript:alert(1)"}, "link"},
		{"outputs too large", incident.ResponseReport{Status: "Succeeded", Outputs: map[string]any{"log": strings.Repeat("x", incident.MaxReportOutputs)}}, "outputs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rep.Validate()
			var fe *alert.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatal(err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Errorf("Validate = %v, want a %s error", err, tc.field)
			}
		})
	}
}

func TestResponseShown(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status incident.ResponseStatus
		age    time.Duration
		wait   time.Duration
		want   incident.ResponseStatus
	}{
		{"fresh", "", time.Minute, time.Hour, incident.ResponseRequested},
		{"silent too long", "", 2 * time.Hour, time.Hour, incident.ResponseNoReport},
		{"no wait configured", "", 48 * time.Hour, 0, incident.ResponseRequested},
		{"reported", incident.ResponseRunning, 2 * time.Hour, time.Hour, incident.ResponseRunning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := incident.ResponseRequest{RequestedAt: at, Status: tc.status}
			if got := r.Shown(at.Add(tc.age), tc.wait); got != tc.want {
				t.Errorf("Shown = %s, want %s", got, tc.want)
			}
		})
	}
}
