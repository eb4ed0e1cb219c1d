package chatops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/apiclient"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
)

// API is the part of Muster's API the bot calls (apiclient.Client has
// it); every call is made as one principal.
type API interface {
	List(ctx context.Context, path string, q url.Values, cursor string) (apiclient.Page, error)
	Get(ctx context.Context, path string, out any) error
	Incident(ctx context.Context, id string) (apiclient.Detail, error)
	PatchIncident(ctx context.Context, id string, version int64, p apiclient.Patch) (incident.Incident, error)
	Comment(ctx context.Context, id, text string) (incident.Comment, error)
	Respond(ctx context.Context, id, playbook string, params map[string]any) (json.RawMessage, error)
}

// Bot answers slash commands and interactions.
type Bot struct {
	Users Users
	// API returns the API as a principal.
	API func(auth.Principal) API
	// Slack posts answers to response URLs and opens views.
	Slack *slack.Client
	// ConsoleURL is the console's base URL; incidents link to
	// <ConsoleURL>/#/incidents/<id>.
	ConsoleURL string
	Log        *slog.Logger     // slog.Default() when nil
	Now        func() time.Time // time.Now when nil
}

func (b *Bot) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

func (b *Bot) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

func (b *Bot) console(id string) string {
	u := strings.TrimRight(b.ConsoleURL, "/") + "/"
	if id != "" {
		u += "#/incidents/" + url.PathEscape(id)
	}
	return u
}

func ephemeral(text string, blocks ...slack.Block) slack.Message {
	return slack.Message{ResponseType: slack.Ephemeral, Text: text, Blocks: blocks}
}

func inChannel(text string, blocks ...slack.Block) slack.Message {
	return slack.Message{ResponseType: slack.InChannel, Text: text, Blocks: blocks}
}

// Command answers one slash command. retried is Slack's
// X-Slack-Retry-Num > 0.
func (b *Bot) Command(ctx context.Context, c slack.Command, retried bool) slack.Message {
	req, err := ParseRequest(c.Text)
	if err != nil {
		return ephemeral(err.Error() + "\n\n" + Help)
	}
	p := b.Users.Principal(c.UserID)
	api := b.API(p)
	switch req.Verb {
	case VerbHelp:
		return ephemeral(Help)
	case VerbList:
		return b.list(ctx, api, req.Filters)
	case VerbShow:
		return b.show(ctx, api, req.ID)
	case VerbRespond:
		return b.respond(ctx, api, p, req.ID, req.Playbook, req.Params, retried)
	}
	ch, err := b.changeFor(req, p)
	if err != nil {
		return ephemeral(err.Error())
	}
	return b.apply(ctx, api, req.ID, 0, ch)
}

func (b *Bot) list(ctx context.Context, api API, filters url.Values) slack.Message {
	q := url.Values{}
	for k, v := range filters {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(maxListed))
	page, err := api.List(ctx, "/incidents", q, "")
	if err != nil {
		return b.failed("list incidents", err)
	}
	var incs []incident.Incident
	for _, raw := range page.Items {
		var inc incident.Incident
		if err := json.Unmarshal(raw, &inc); err == nil {
			incs = append(incs, inc)
		}
	}
	return ephemeral(fmt.Sprintf("%d incident(s)", len(incs)), List(incs, page.Cursor != "", b.console(""))...)
}

func (b *Bot) show(ctx context.Context, api API, id string) slack.Message {
	d, err := api.Incident(ctx, id)
	if err != nil {
		return b.failed("show "+id, err)
	}
	return ephemeral(d.Title, Card(d.Incident, b.console(id), b.playbooks(ctx, api))...)
}

// playbooks lists the playbooks for a card's menu (none when the API
// cannot say: the card is still worth showing).
func (b *Bot) playbooks(ctx context.Context, api API) []playbook.Playbook {
	var out struct {
		Items []playbook.Playbook `json:"items"`
	}
	if err := api.Get(ctx, "/playbooks", &out); err != nil {
		return nil
	}
	return out.Items
}

// change is one state change of an incident, its test for "already
// done", what to say when done, and a comment to add when it was made.
type change struct {
	patch   apiclient.Patch
	holds   func(incident.Incident) bool
	done    string // "resolved as TruePositive"
	comment string
}

// changeFor builds the change a command asks for.
func (b *Bot) changeFor(req Request, p auth.Principal) (change, error) {
	switch req.Verb {
	case VerbAssign:
		return assignTo(ownerName(req.Owner, p.Name, b.Users)), nil
	case VerbResolve:
		class, ok := parseClassification(req.Class)
		if !ok {
			return change{}, usage("classification `%s`: want TruePositive, BenignPositive, FalsePositive or Undetermined", req.Class)
		}
		ch := resolveAs(class)
		ch.comment = req.Text
		return ch, nil
	case VerbDismiss:
		ch := setStatus(incident.StatusDismissed, "dismissed")
		ch.comment = req.Text
		return ch, nil
	}
	return change{}, usage("unknown command `%s`", req.Verb)
}

func assignTo(owner string) change {
	return change{patch: apiclient.Patch{Owner: &owner}, done: "assigned to " + owner,
		holds: func(inc incident.Incident) bool { return inc.Owner == owner }}
}

func setStatus(s incident.Status, done string) change {
	status := string(s)
	return change{patch: apiclient.Patch{Status: &status}, done: done,
		holds: func(inc incident.Incident) bool { return inc.Status == s }}
}

func resolveAs(class incident.Classification) change {
	ch := setStatus(incident.StatusResolved, "resolved as "+string(class))
	c := string(class)
	ch.patch.Classification = &c
	ch.holds = func(inc incident.Incident) bool {
		return inc.Status == incident.StatusResolved && inc.Classification == class
	}
	return ch
}

func parseClassification(s string) (incident.Classification, bool) {
	short := map[string]incident.Classification{"tp": incident.TruePositive, "bp": incident.BenignPositive, "fp": incident.FalsePositive}
	if c, ok := short[strings.ToLower(s)]; ok {
		return c, true
	}
	for _, c := range incident.Classifications {
		if strings.EqualFold(s, string(c)) {
			return c, true
		}
	}
	return "", false
}

// apply makes a change. With version 0 (a command) it reads the version
// first and, if the incident changes in between, tries once more; with a
// card's version it acts only at that version. A change whose result
// already holds is answered "already" and nothing is written.
func (b *Bot) apply(ctx context.Context, api API, id string, version int64, ch change) slack.Message {
	inc, already, err := b.patch(ctx, api, id, version, ch)
	var stale staleError
	switch {
	case errors.As(err, &stale):
		return ephemeral("This card was out of date: the incident changed since. Here it is now.",
			Card(stale.now, b.console(id), b.playbooks(ctx, api))...)
	case err != nil:
		return b.failed("change "+id, err)
	case already:
		return ephemeral(fmt.Sprintf("`%s` is already %s.", id, ch.done), Card(inc, b.console(id), b.playbooks(ctx, api))...)
	}
	if ch.comment != "" {
		if _, err := api.Comment(ctx, id, ch.comment); err != nil {
			b.log().Warn("comment after change failed", "incident", id, "error", err.Error())
		}
	}
	m := inChannel(fmt.Sprintf("%s %s", id, ch.done), Card(inc, b.console(id), b.playbooks(ctx, api))...)
	m.Blocks = append(m.Blocks, slack.Block{Type: "context", Elements: []slack.Element{{Type: "mrkdwn",
		Text: slack.Markdown(fmt.Sprintf("✅ %s by %s", ch.done, inc.UpdatedBy))}}})
	return m
}

// staleError is a click on a card older than the incident; it carries
// the incident as it is now.
type staleError struct{ now incident.Incident }

func (staleError) Error() string { return "card out of date" }

func (b *Bot) patch(ctx context.Context, api API, id string, version int64, ch change) (incident.Incident, bool, error) {
	fromCard := version != 0
	if !fromCard {
		d, err := api.Incident(ctx, id)
		if err != nil {
			return incident.Incident{}, false, err
		}
		if ch.holds(d.Incident) {
			return d.Incident, true, nil
		}
		version = d.Version
	}
	for attempt := 0; ; attempt++ {
		inc, err := api.PatchIncident(ctx, id, version, ch.patch)
		var ae *apiclient.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusPreconditionFailed {
			return inc, false, err
		}
		d, rerr := api.Incident(ctx, id)
		if rerr != nil {
			return incident.Incident{}, false, rerr
		}
		switch {
		case ch.holds(d.Incident):
			return d.Incident, true, nil
		case fromCard:
			return incident.Incident{}, false, staleError{d.Incident}
		case attempt == 1:
			return incident.Incident{}, false, err
		}
		version = d.Version
	}
}

// failed turns a failed call into an answer for the user, never with
// internal error text.
func (b *Bot) failed(what string, err error) slack.Message {
	var ae *apiclient.Error
	switch {
	case errors.Is(err, apiclient.ErrAuth):
		return ephemeral("You are not allowed to do that. Your Slack user needs a Muster user with the right scope (read to look, write to act); ask whoever runs Muster.")
	case errors.Is(err, apiclient.ErrNotFound):
		return ephemeral("No such incident.")
	case errors.Is(err, apiclient.ErrConflict) && errors.As(err, &ae):
		return ephemeral("Could not " + what + ": " + ae.Detail)
	case errors.Is(err, apiclient.ErrInvalid) && errors.As(err, &ae):
		return ephemeral("Could not " + what + ": " + ae.Detail)
	}
	b.log().Error("slack command failed", "what", what, "error", err.Error())
	return ephemeral("Muster could not answer just now; try again in a moment.")
}

// Within runs answer and returns its result when it is ready within
// budget. Otherwise it returns early at once and hands the result, when
// ready, to later (which posts it to the response URL). The late answer
// runs on a context detached from the request's cancellation.
//
// On AWS Lambda, work left running after the response is frozen with the
// execution environment until its next invocation; the budget is set so
// that Muster's own calls (one or two table reads) finish well within it.
func Within[T any](ctx context.Context, budget time.Duration, answer func(context.Context) T, early T, later func(context.Context, T)) T {
	done := make(chan T, 1)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateTimeout)
	go func() { done <- answer(bg) }()
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case v := <-done:
		cancel()
		return v
	case <-timer.C:
		go func() {
			defer cancel()
			later(bg, <-done)
		}()
		return early
	}
}

// lateTimeout bounds an answer that was deferred.
const lateTimeout = 30 * time.Second

// Late posts an answer that came after Slack's three seconds to the
// response URL.
func (b *Bot) Late(ctx context.Context, responseURL string, m slack.Message) {
	b.reply(ctx, responseURL, m)
}
