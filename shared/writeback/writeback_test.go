package writeback

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/incident"
)

func TestForStatus(t *testing.T) {
	const (
		act = incident.StatusActive
		inp = incident.StatusInProgress
		res = incident.StatusResolved
		dis = incident.StatusDismissed
	)
	tests := []struct {
		old, new incident.Status
		want     Change
		ok       bool
	}{
		{act, res, Change{Verb: "resolved", Workflow: WorkflowResolved}, true},
		{inp, res, Change{Verb: "resolved", Workflow: WorkflowResolved}, true},
		{act, dis, Change{Verb: "dismissed", Workflow: WorkflowSuppressed, Archive: ArchiveFindings}, true},
		{res, act, Change{Verb: "reopened", Workflow: WorkflowNew}, true},
		{res, inp, Change{Verb: "reopened", Workflow: WorkflowNew}, true},
		{dis, act, Change{Verb: "reopened", Workflow: WorkflowNew, Archive: UnarchiveFindings}, true},
		{act, inp, Change{}, false},
		{inp, act, Change{}, false},
		{res, res, Change{}, false},
		{dis, dis, Change{}, false},
		{"", act, Change{}, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.old)+"→"+string(tc.new), func(t *testing.T) {
			got, ok := ForStatus(tc.old, tc.new)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ForStatus(%s, %s) = %+v, %v; want %+v, %v", tc.old, tc.new, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestNote(t *testing.T) {
	link := ConsoleLink("https://muster.example.com/", "inc-1")
	if link != "https://muster.example.com/#/incidents/inc-1" {
		t.Fatalf("ConsoleLink = %q", link)
	}
	c, _ := ForStatus(incident.StatusActive, incident.StatusResolved)
	tests := []struct {
		name, title string
	}{
		{"short", "Security incident detected on i-0abc"},
		{"long ascii", strings.Repeat("x", 2000)},
		{"long multibyte", strings.Repeat("é", 700)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inc := incident.Incident{ID: "inc-1", Title: tc.title, UpdatedBy: "alice"}
			got := Note(inc, c, link)
			if len(got) > MaxNoteText || !utf8.ValidString(got) {
				t.Fatalf("note of %d bytes (valid UTF-8 %v): %q", len(got), utf8.ValidString(got), got)
			}
			for _, want := range []string{"inc-1", "was resolved by alice", link} {
				if !strings.Contains(got, want) {
					t.Errorf("note %q lacks %q", got, want)
				}
			}
		})
	}
}

func TestIsEcho(t *testing.T) {
	inc := incident.Incident{ID: "inc-1", Title: "Security incident detected on i-0abc", UpdatedBy: "alice"}
	note := func(old, new incident.Status) string {
		c, _ := ForStatus(old, new)
		return Note(inc, c, ConsoleLink("https://muster.example.com", inc.ID))
	}
	resolved := note(incident.StatusActive, incident.StatusResolved)
	tests := []struct {
		name, by, text, workflow string
		want                     bool
	}{
		{"resolved echo", NoteBy, resolved, "RESOLVED", true},
		{"dismissed echo", NoteBy, note(incident.StatusActive, incident.StatusDismissed), "SUPPRESSED", true},
		{"reopened echo", NoteBy, note(incident.StatusResolved, incident.StatusActive), "NEW", true},
		{"workflow changed by hand after the note", NoteBy, resolved, "NEW", false},
		{"someone else's note", "analyst", resolved, "RESOLVED", false},
		{"no note", "", "", "RESOLVED", false},
		{"NOTIFIED is never Muster's", NoteBy, resolved, "NOTIFIED", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsEcho(tc.by, tc.text, tc.workflow); got != tc.want {
				t.Errorf("IsEcho(%q, %q, %q) = %v, want %v", tc.by, tc.text, tc.workflow, got, tc.want)
			}
		})
	}
}
