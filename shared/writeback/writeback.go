package writeback

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/muster-sec/muster/shared/incident"
)

// Workflow is a Security Hub finding's Workflow.Status.
type Workflow string

// The workflow statuses write-back sets.
const (
	WorkflowNew        Workflow = "NEW"
	WorkflowResolved   Workflow = "RESOLVED"
	WorkflowSuppressed Workflow = "SUPPRESSED"
)

// Archive is what a change asks of GuardDuty findings.
type Archive int

// The GuardDuty operations.
const (
	ArchiveNone Archive = iota
	ArchiveFindings
	UnarchiveFindings
)

// Change is what an incident's status change asks of its findings.
type Change struct {
	// Verb names the change in notes and logs: resolved, dismissed, reopened.
	Verb     string
	Workflow Workflow
	Archive  Archive
}

// ForStatus returns the change asked by an incident going from old to new
// status, and false when the change asks nothing.
func ForStatus(old, new incident.Status) (Change, bool) {
	closed := func(s incident.Status) bool {
		return s == incident.StatusResolved || s == incident.StatusDismissed
	}
	switch {
	case old == new:
		return Change{}, false
	case new == incident.StatusResolved:
		return Change{Verb: "resolved", Workflow: WorkflowResolved}, true
	case new == incident.StatusDismissed:
		return Change{Verb: "dismissed", Workflow: WorkflowSuppressed, Archive: ArchiveFindings}, true
	case closed(old) && (new == incident.StatusActive || new == incident.StatusInProgress):
		c := Change{Verb: "reopened", Workflow: WorkflowNew}
		if old == incident.StatusDismissed {
			c.Archive = UnarchiveFindings
		}
		return c, true
	}
	return Change{}, false
}

// MaxNoteText is the most characters Security Hub takes in Note.Text.
const MaxNoteText = 512

// NoteBy is the Note.UpdatedBy of every note write-back adds.
const NoteBy = "muster"

// Note is the text of the note added to each finding: the incident, what
// happened to it, by whom, and its console link; the title is shortened so
// that the text stays within MaxNoteText.
func Note(inc incident.Incident, c Change, link string) string {
	by := ""
	if inc.UpdatedBy != "" {
		by = " by " + inc.UpdatedBy
	}
	head := fmt.Sprintf("Muster incident %s ", inc.ID)
	tail := fmt.Sprintf(" was %s%s. %s", c.Verb, by, link)
	title := fmt.Sprintf("%q", inc.Title)
	if room := MaxNoteText - len(head) - len(tail); len(title) > room {
		title = shorten(title, room)
	}
	return shorten(head+title+tail, MaxNoteText)
}

// shorten cuts s to at most n bytes on a rune boundary, marking the cut
// with an ellipsis.
func shorten(s string, n int) string {
	const ell = "…"
	if len(s) <= n {
		return s
	}
	if n < len(ell) {
		return ""
	}
	cut := n - len(ell)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// ConsoleLink is an incident's page in the console served at base.
func ConsoleLink(base, id string) string {
	return strings.TrimRight(base, "/") + "/#/incidents/" + id
}

// echoVerbs are the verbs of the notes that go with each workflow status.
var echoVerbs = map[Workflow]string{WorkflowResolved: "resolved", WorkflowSuppressed: "dismissed", WorkflowNew: "reopened"}

// IsEcho reports whether a finding's workflow status is the one Muster
// wrote with its note (by NoteBy, saying the incident was resolved,
// dismissed or reopened): the echo of a write-back, not the source's own
// word. A status someone set by hand afterwards, without Muster's note to
// match, is not an echo.
func IsEcho(noteBy, noteText, workflow string) bool {
	verb, ok := echoVerbs[Workflow(strings.ToUpper(workflow))]
	return ok && noteBy == NoteBy && strings.HasPrefix(noteText, "Muster incident ") && strings.Contains(noteText, " was "+verb)
}
