package chatops

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
)

// Action ids of a card's buttons and menus.
const (
	ActionAssignMe   = "assign_me"
	ActionInProgress = "in_progress"
	ActionResolve    = "resolve"
	ActionDismiss    = "dismiss"
	ActionPlaybook   = "run_playbook"
)

// CallbackRunPlaybook is the callback id of the playbook modal.
const CallbackRunPlaybook = "run_playbook"

// cardBlockPrefix starts the block id of a card's actions: "inc|<id>|<version>"
// tells a click which incident, at which version, it acts on.
const cardBlockPrefix = "inc|"

func cardBlockID(id string, version int64) string {
	return cardBlockPrefix + id + "|" + strconv.FormatInt(version, 10)
}

// parseCardBlockID reads a card's actions block id.
func parseCardBlockID(s string) (id string, version int64, ok bool) {
	rest, ok := strings.CutPrefix(s, cardBlockPrefix)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndex(rest, "|")
	if i <= 0 {
		return "", 0, false
	}
	v, err := strconv.ParseInt(rest[i+1:], 10, 64)
	return rest[:i], v, err == nil
}

// maxCardResources bounds the resources a card names.
const maxCardResources = 5

// Card renders an incident: title, severity, status, owner, the stages
// strip, resources, sources, first and last activity, a console link and,
// unless closed, the buttons.
func Card(inc incident.Incident, console string, playbooks []playbook.Playbook) []slack.Block {
	blocks := []slack.Block{
		{Type: "header", Text: slack.Plain(severityMark(inc.Severity)+" "+inc.Title, slack.MaxHeaderLen)},
		{Type: "section", Fields: []*slack.Text{
			slack.Markdown("*Severity*\n" + inc.Severity.String()),
			slack.Markdown("*Status*\n" + join(" · ", string(inc.Status), string(inc.Classification))),
			slack.Markdown("*Owner*\n" + dash(slack.Escape(inc.Owner))),
			slack.Markdown("*Alerts*\n" + strconv.Itoa(inc.AlertCount)),
		}},
		{Type: "section", Text: slack.Markdown("*Stages* `" + killchain.Strip(inc.Tactics) + "`\n*Resources* " +
			resources(inc.Resources) + "\n*Sources* " + dash(slack.Escape(strings.Join(inc.Sources, ", "))))},
		{Type: "context", Elements: []slack.Element{{Type: "mrkdwn", Text: slack.Markdown(fmt.Sprintf(
			"`%s` · first activity %s · last activity %s · <%s|open in console>",
			slack.Escape(inc.ID), when(inc.FirstActivity), when(inc.LastActivity), console))}}},
	}
	if inc.Status == incident.StatusResolved || inc.Status == incident.StatusDismissed {
		return blocks
	}
	return append(blocks, slack.Block{Type: "actions", BlockID: cardBlockID(inc.ID, inc.Version), Elements: buttons(inc, playbooks)})
}

func buttons(inc incident.Incident, playbooks []playbook.Playbook) []slack.Element {
	var classes []slack.Option
	for _, c := range incident.Classifications {
		classes = append(classes, slack.Option{Text: slack.Plain(string(c), 75), Value: string(c)})
	}
	els := []slack.Element{
		{Type: "button", ActionID: ActionAssignMe, Text: slack.Plain("Assign to me", slack.MaxButtonText), Value: inc.ID},
		{Type: "button", ActionID: ActionInProgress, Text: slack.Plain("Mark in progress", slack.MaxButtonText), Value: inc.ID},
		{Type: "static_select", ActionID: ActionResolve, Placeholder: slack.Plain("Resolve as…", 150), Options: classes},
		{Type: "button", ActionID: ActionDismiss, Text: slack.Plain("Dismiss", slack.MaxButtonText), Value: inc.ID, Style: "danger"},
	}
	if inc.Status == incident.StatusInProgress {
		els = append(els[:1], els[2:]...)
	}
	var pbs []slack.Option
	for _, p := range playbooks {
		if len(pbs) < 100 {
			pbs = append(pbs, slack.Option{Text: slack.Plain(p.Name, 75), Value: p.Name})
		}
	}
	if len(pbs) > 0 {
		els = append(els, slack.Element{Type: "static_select", ActionID: ActionPlaybook, Placeholder: slack.Plain("Run playbook…", 150), Options: pbs})
	}
	return els
}

func severityMark(s alert.Severity) string {
	switch s {
	case alert.Critical:
		return "🟥"
	case alert.High:
		return "🟧"
	case alert.Medium:
		return "🟨"
	}
	return "⬜"
}

func resources(rs []alert.Resource) string {
	var out []string
	for i, r := range rs {
		if i == maxCardResources {
			out = append(out, fmt.Sprintf("and %d more", len(rs)-i))
			break
		}
		out = append(out, "`"+slack.Escape(r.ID)+"`"+paren(slack.Escape(join(", ", r.Type, r.Name))))
	}
	return dash(strings.Join(out, ", "))
}

// maxListed bounds the incidents a list answer shows (one block each,
// within Block Kit's 50).
const maxListed = 20

// List renders a list of incidents, one line each; more says the list
// goes on.
func List(incs []incident.Incident, more bool, console string) []slack.Block {
	if len(incs) == 0 {
		return []slack.Block{{Type: "section", Text: slack.Markdown("No incidents match.")}}
	}
	blocks := []slack.Block{{Type: "section", Text: slack.Markdown(fmt.Sprintf("*%d incident(s)*, newest activity first", len(incs)))}}
	for _, inc := range incs {
		blocks = append(blocks, slack.Block{Type: "section", Text: slack.Markdown(fmt.Sprintf("%s *%s* `%s`\n%s · %s · owner %s · %d alert(s) · last %s",
			severityMark(inc.Severity), slack.Escape(inc.Title), slack.Escape(inc.ID), inc.Severity, inc.Status, dash(slack.Escape(inc.Owner)), inc.AlertCount, when(inc.LastActivity)))})
	}
	if more {
		blocks = append(blocks, slack.Block{Type: "context", Elements: []slack.Element{{Type: "mrkdwn",
			Text: slack.Markdown(fmt.Sprintf("More incidents match: narrow the filters or <%s|open the console>.", console))}}})
	}
	return blocks
}

// PlaybookView is the modal that runs a playbook on an incident: one
// input per parameter, pre-filled from the incident where it can be.
func PlaybookView(pb playbook.Playbook, inc incident.Incident, meta string) slack.View {
	blocks := []slack.Block{{Type: "section", Text: slack.Markdown(fmt.Sprintf("*%s* on `%s`\n%s", pb.Name, slack.Escape(inc.ID), slack.Escape(pb.Description)))}}
	values := Prefill(pb, inc)
	for _, p := range pb.Parameters {
		el := &slack.Element{Type: "plain_text_input", ActionID: "value", InitialValue: values[p.Name]}
		if len(p.Enum) > 0 {
			el = &slack.Element{Type: "static_select", ActionID: "value"}
			for _, e := range p.Enum {
				el.Options = append(el.Options, slack.Option{Text: slack.Plain(e, 75), Value: e})
			}
		}
		blocks = append(blocks, slack.Block{Type: "input", BlockID: "param:" + p.Name, Label: slack.Plain(p.Name, 2000),
			Element: el, Optional: !p.Required, Hint: slack.Plain(p.Description, 2000)})
	}
	return slack.View{Type: "modal", CallbackID: CallbackRunPlaybook, Title: slack.Plain("Run playbook", 24),
		Submit: slack.Plain("Run", 24), Close: slack.Plain("Cancel", 24), PrivateMetadata: meta, Blocks: blocks}
}

// Prefill proposes parameter values from the incident: a parameter
// confined to the incident's resources gets its first resource that fits
// the parameter's pattern, one confined to an entity type its first entity
// of that type.
func Prefill(pb playbook.Playbook, inc incident.Incident) map[string]string {
	out := map[string]string{}
	for _, p := range pb.Parameters {
		switch p.InIncident {
		case "":
		case playbook.InIncidentResource:
			for _, r := range inc.Resources {
				if fits(p, r.ID) {
					out[p.Name] = r.ID
					break
				}
			}
		default:
			for _, e := range inc.Entities {
				if string(e.Type) == p.InIncident && fits(p, e.Value) {
					out[p.Name] = e.Value
					break
				}
			}
		}
	}
	return out
}

// fits reports whether v matches the parameter's pattern (in full).
func fits(p playbook.Parameter, v string) bool {
	if p.Pattern == "" {
		return true
	}
	ok, err := regexp.MatchString(`^(?:`+p.Pattern+`)$`, v)
	return err == nil && ok
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04Z"))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
