package chatops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
)

// CardRef is where an incident's card was posted, and the incident
// version it shows. An empty TS is a card being posted, claimed at
// Claimed (zero on a record written before claims had a time).
type CardRef struct {
	Channel string
	TS      string
	Version int64
	Claimed time.Time
}

// Cards remembers each incident's card (cardstore implements it).
type Cards interface {
	// Card returns the incident's card, or ErrNoCard.
	Card(ctx context.Context, incidentID string) (CardRef, error)
	// ClaimCard records that ref (a card with no TS yet, claimed at
	// ref.Claimed) is being posted. With a zero stale it claims an
	// incident with no card (or a pending one whose claim has no time,
	// written before claims had one); otherwise it takes over the pending
	// claim made at stale. Anything else is ErrCardExists: another event
	// got there first.
	ClaimCard(ctx context.Context, incidentID string, ref CardRef, stale time.Time) error
	// UpdateCard records the card's ts and version.
	UpdateCard(ctx context.Context, incidentID string, ref CardRef) error
}

// Sentinels of Cards.
var (
	ErrNoCard     = errors.New("no card for this incident")
	ErrCardExists = errors.New("the incident has a card already")
)

// errCardPending is an event for an incident whose card another
// invocation is posting; returned so the event is retried.
var errCardPending = errors.New("card being posted; retry")

// ClaimLease is how long a claim to post a card holds. An invocation that
// claimed a card and then failed to post it (Slack down, the function
// stopped, the claim's answer lost) leaves the card pending; once the
// claim is older than this, the next event for the incident posts the
// card in its place. A claim's post gives up after postBudget, well inside
// the lease whatever the function's timeout, so a claim is never taken
// over from a post still under way.
const ClaimLease = 45 * time.Second

// postBudget bounds claiming, posting and recording a card.
const postBudget = 30 * time.Second

// Poster posts and updates messages (slack.Client implements it).
type Poster interface {
	PostMessage(ctx context.Context, m slack.Message) (string, error)
	Update(ctx context.Context, m slack.Message) error
}

// Notifier keeps one card per incident in a channel: it posts the card
// when an incident is created, escalated to High or Critical, or changes
// status, and updates that same message for every later event, never
// re-posting it. Events older than the card (a lower version) are skipped,
// so out-of-order delivery does not roll a card back.
type Notifier struct {
	Channel   string
	Cards     Cards
	Slack     Poster
	Playbooks []playbook.Playbook
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Notify handles one event. An error means "retry the event".
func (n *Notifier) Notify(ctx context.Context, detailType string, d incidentevent.Detail) error {
	inc := fromSummary(d.Incident)
	ref, err := n.Cards.Card(ctx, inc.ID)
	switch {
	case errors.Is(err, ErrNoCard):
		if !postsCard(detailType, d) {
			return nil
		}
		return n.post(ctx, inc, d.Incident.Links, time.Time{})
	case err != nil:
		return fmt.Errorf("read card of %s: %w", inc.ID, err)
	case ref.TS == "" && n.now().Sub(ref.Claimed) < ClaimLease:
		return fmt.Errorf("incident %s: %w", inc.ID, errCardPending)
	case ref.TS == "":
		// The claim's poster failed or vanished: post in its place, this
		// event's incident being the newer.
		return n.post(ctx, inc, d.Incident.Links, ref.Claimed)
	case inc.Version <= ref.Version:
		return nil
	}
	m := n.message(inc, d.Incident.Links)
	m.Channel, m.TS = ref.Channel, ref.TS
	if err := n.Slack.Update(ctx, m); err != nil {
		return fmt.Errorf("update card of %s: %w", inc.ID, err)
	}
	ref.Version = inc.Version
	return n.Cards.UpdateCard(ctx, inc.ID, ref)
}

// postsCard: creation, an escalation to High or Critical, or a status
// change put a card in the channel; other changes only update one.
func postsCard(detailType string, d incidentevent.Detail) bool {
	switch detailType {
	case incidentevent.DetailTypeCreated, incidentevent.DetailTypeStatusChanged:
		return true
	case incidentevent.DetailTypeUpdated:
		sev, _ := alert.ParseSeverity(d.Incident.Severity)
		return d.Change.SeverityRaised && sev >= alert.High
	}
	return false
}

func (n *Notifier) now() time.Time {
	if n.Now == nil {
		return time.Now()
	}
	return n.Now()
}

// post claims the incident's card (or takes over the pending claim made
// at stale, when not zero), posts it and records its ts.
func (n *Notifier) post(ctx context.Context, inc incident.Incident, links incidentevent.Links, stale time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, postBudget)
	defer cancel()
	ref := CardRef{Channel: n.Channel, Version: inc.Version, Claimed: n.now().UTC()}
	if err := n.Cards.ClaimCard(ctx, inc.ID, ref, stale); errors.Is(err, ErrCardExists) {
		return fmt.Errorf("incident %s: %w", inc.ID, errCardPending)
	} else if err != nil {
		return fmt.Errorf("record card of %s: %w", inc.ID, err)
	}
	m := n.message(inc, links)
	m.Channel = n.Channel
	ts, err := n.Slack.PostMessage(ctx, m)
	if err != nil {
		// The pending card stays: once its claim is older than
		// ClaimLease, a retry of this event or the next event for the
		// incident posts it.
		return fmt.Errorf("post card of %s: %w", inc.ID, err)
	}
	ref.TS = ts
	return n.Cards.UpdateCard(ctx, inc.ID, ref)
}

func (n *Notifier) message(inc incident.Incident, links incidentevent.Links) slack.Message {
	text := fmt.Sprintf("%s incident %s: %s (%s)", inc.Severity, inc.ID, inc.Title, inc.Status)
	return slack.Message{Text: slack.Truncate(text, slack.MaxTextLen), Blocks: Card(inc, consoleLink(links.Self, inc.ID), n.Playbooks)}
}

// consoleLink turns an incident's API link (…/incidents/<id>) into its
// console page (…/#/incidents/<id>).
func consoleLink(self, id string) string {
	base := strings.TrimSuffix(self, "/incidents/"+id)
	return base + "/#/incidents/" + id
}

// fromSummary reads an event's incident summary back into an incident,
// for rendering.
func fromSummary(s incidentevent.Summary) incident.Incident {
	sev, _ := alert.ParseSeverity(s.Severity)
	inc := incident.Incident{ID: s.ID, Title: s.Title, Severity: sev, Status: incident.Status(s.Status),
		Classification: incident.Classification(s.Classification), Owner: s.Owner, Resources: s.Resources,
		Sources: s.Sources, AlertCount: s.AlertCount, FirstActivity: s.FirstActivity, LastActivity: s.LastActivity,
		Version: s.Version}
	for _, t := range s.Tactics {
		if st, ok := killchain.Parse(t); ok {
			inc.Tactics = append(inc.Tactics, st)
		}
	}
	return inc
}
