package chatops

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/slack"
)

// Interaction handles a click on a card (block_actions) or a submitted
// playbook modal (view_submission). It returns the body of the HTTP answer
// (nil for an empty 200); what the user reads goes to the payload's
// response_url: the card updated in place after a change, an ephemeral
// note otherwise.
func (b *Bot) Interaction(ctx context.Context, in slack.Interaction, retried bool) []byte {
	switch in.Type {
	case "block_actions":
		b.blockAction(ctx, in)
	case "view_submission":
		if in.View.CallbackID == CallbackRunPlaybook {
			return b.submitPlaybook(ctx, in, retried)
		}
	}
	return nil
}

func (b *Bot) blockAction(ctx context.Context, in slack.Interaction) {
	if len(in.Actions) == 0 {
		return
	}
	a := in.Actions[0]
	id, version, ok := parseCardBlockID(a.BlockID)
	if !ok {
		return
	}
	p := b.Users.Principal(in.User.ID)
	api := b.API(p)
	selected := ""
	if a.SelectedOption != nil {
		selected = a.SelectedOption.Value
	}
	var ch change
	switch a.ActionID {
	case ActionAssignMe:
		ch = assignTo(p.Name)
	case ActionInProgress:
		ch = setStatus(incident.StatusInProgress, "marked in progress")
	case ActionDismiss:
		ch = setStatus(incident.StatusDismissed, "dismissed")
	case ActionResolve:
		class, ok := parseClassification(selected)
		if !ok {
			return
		}
		ch = resolveAs(class)
	case ActionPlaybook:
		b.openPlaybook(ctx, api, in, id, selected)
		return
	default:
		return
	}
	m := b.apply(ctx, api, id, version, ch)
	m.ReplaceOriginal = m.ResponseType == slack.InChannel
	b.reply(ctx, in.ResponseURL, m)
}

// playbookMeta is the modal's private metadata: what the submission acts
// on and where to answer.
type playbookMeta struct {
	Incident    string `json:"incident"`
	Playbook    string `json:"playbook"`
	ResponseURL string `json:"responseUrl"`
}

func (b *Bot) openPlaybook(ctx context.Context, api API, in slack.Interaction, id, name string) {
	d, err := api.Incident(ctx, id)
	if err != nil {
		b.reply(ctx, in.ResponseURL, b.failed("open "+name, err))
		return
	}
	for _, pb := range b.playbooks(ctx, api) {
		if pb.Name != name {
			continue
		}
		meta := string(slack.JSON(playbookMeta{Incident: id, Playbook: name, ResponseURL: in.ResponseURL}))
		if err := b.Slack.OpenView(ctx, in.TriggerID, PlaybookView(pb, d.Incident, meta)); err != nil {
			b.log().Error("views.open failed", "incident", id, "error", err.Error())
			b.reply(ctx, in.ResponseURL, ephemeral("Could not open the playbook form; try `/muster respond "+id+" "+name+"`."))
		}
		return
	}
	b.reply(ctx, in.ResponseURL, ephemeral("No playbook `"+name+"`."))
}

// submitPlaybook runs the playbook of a submitted modal. A refusal is
// shown in the modal (response_action errors) so the user can fix it.
func (b *Bot) submitPlaybook(ctx context.Context, in slack.Interaction, retried bool) []byte {
	var meta playbookMeta
	if err := json.Unmarshal([]byte(in.View.PrivateMetadata), &meta); err != nil || meta.Incident == "" {
		return nil
	}
	raw := map[string]string{}
	first := ""
	for blockID, actions := range in.View.State.Values {
		name, ok := strings.CutPrefix(blockID, "param:")
		if !ok {
			continue
		}
		if first == "" || blockID < first {
			first = blockID
		}
		v := actions["value"]
		raw[name] = v.Value
		if v.SelectedOption != nil {
			raw[name] = v.SelectedOption.Value
		}
	}
	p := b.Users.Principal(in.User.ID)
	m := b.respond(ctx, b.API(p), p, meta.Incident, meta.Playbook, raw, retried)
	if m.ResponseType == slack.Ephemeral && first != "" {
		return slack.JSON(map[string]any{"response_action": "errors",
			"errors": map[string]string{first: slack.Truncate(m.Text, 150)}})
	}
	b.reply(ctx, meta.ResponseURL, m)
	return nil
}

// reply posts an answer to a response URL.
func (b *Bot) reply(ctx context.Context, responseURL string, m slack.Message) {
	if b.Slack == nil || responseURL == "" {
		return
	}
	if err := b.Slack.Respond(ctx, responseURL, m); err != nil {
		b.log().Error("answer to response_url failed", "error", err.Error())
	}
}
