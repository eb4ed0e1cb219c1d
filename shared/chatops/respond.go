package chatops

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/slack"
)

// retryWindow is how far back a retried playbook request looks for the
// request it repeats (Slack retries within seconds).
const retryWindow = 5 * time.Minute

func (b *Bot) respond(ctx context.Context, api API, p auth.Principal, id, name string, raw map[string]string, retried bool) slack.Message {
	var list struct {
		Items []playbook.Playbook `json:"items"`
	}
	if err := api.Get(ctx, "/playbooks", &list); err != nil {
		return b.failed("run "+name, err)
	}
	var pb playbook.Playbook
	found := false
	for _, x := range list.Items {
		if x.Name == name {
			pb, found = x, true
		}
	}
	if !found {
		return ephemeral(fmt.Sprintf("No playbook `%s`. `/muster show %s` lists the playbooks on its card.", name, id))
	}
	params, err := typed(pb, raw)
	if err != nil {
		return ephemeral(err.Error())
	}
	if retried && b.requestedAlready(ctx, api, p, id, pb.Name, params) {
		return ephemeral(fmt.Sprintf("`%s` was already requested on `%s`.", pb.Name, id))
	}
	if _, err := api.Respond(ctx, id, pb.Name, params); err != nil {
		return b.failed("run "+pb.Name, err)
	}
	return inChannel(fmt.Sprintf("%s requested %s on %s", p.Name, pb.Name, id), slack.Block{Type: "section",
		Text: slack.Markdown(fmt.Sprintf("▶️ *%s* requested `%s` on <%s|%s>", p.Name, pb.Name, b.console(id), id))})
}

// typed converts k=v text to the playbook's parameter types.
func typed(pb playbook.Playbook, raw map[string]string) (map[string]any, error) {
	types := map[string]string{}
	for _, q := range pb.Parameters {
		types[q.Name] = q.Type
	}
	out := map[string]any{}
	for k, v := range raw {
		if v == "" {
			continue
		}
		t, ok := types[k]
		if !ok {
			return nil, usage("`%s` has no parameter `%s`", pb.Name, k)
		}
		switch t {
		case playbook.TypeNumber, playbook.TypeInteger:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, usage("parameter `%s` must be a number", k)
			}
			out[k] = n
		case playbook.TypeBoolean:
			bv, err := strconv.ParseBool(v)
			if err != nil {
				return nil, usage("parameter `%s` must be true or false", k)
			}
			out[k] = bv
		default:
			out[k] = v
		}
	}
	return out, nil
}

// requestedAlready reports whether p asked for the same playbook with the
// same parameters on the incident within retryWindow.
func (b *Bot) requestedAlready(ctx context.Context, api API, p auth.Principal, id, name string, params map[string]any) bool {
	var actions struct {
		Respond struct {
			Requests []incident.ResponseRequest `json:"requests"`
		} `json:"respond"`
	}
	if err := api.Get(ctx, "/incidents/"+id+"/actions", &actions); err != nil {
		return false
	}
	want, _ := json.Marshal(params)
	for _, r := range actions.Respond.Requests {
		got, _ := json.Marshal(r.Parameters)
		if r.Playbook == name && r.RequestedBy == p.Name && string(got) == string(want) && b.now().Sub(r.RequestedAt) < retryWindow {
			return true
		}
	}
	return false
}
