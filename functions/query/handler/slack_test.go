package handler_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/slack/slacktest"
)

const slackSecret = "test-signing-secret"

// Slack users of the tests: a responder, a reader, and one not mapped.
const (
	slackWriter   = "UWRITER01"
	slackReader   = "UREADER01"
	slackStranger = "USTRANGER"
)

type slackEnv struct {
	*env
	h    *handler.Handler
	fake *slacktest.Server
	logs *bytes.Buffer
}

func newSlackEnv(t *testing.T) *slackEnv {
	t.Helper()
	e := newEnv(t)
	fake := slacktest.New()
	t.Cleanup(fake.Close)
	authn, err := auth.New(auth.Config{Tokens: []auth.TokenConfig{{Name: "writer", Token: writeToken, Scopes: []string{"read", "write"}}}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	t.Cleanup(func() {
		for _, secret := range []string{slackSecret, slacktest.Token, writeToken} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret reached the logs:\n%s", logs)
			}
		}
	})
	h := handler.New(handler.Options{Store: e.store, Auth: authn, CursorKey: []byte("test-cursor-key"), Now: func() time.Time { return now },
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		APIURL: "https://muster.example", Slack: handler.SlackOptions{
			SigningSecret: slackSecret, BotToken: slacktest.Token,
			Users:     chatops.Users{slackWriter: {Name: "alice", Scopes: []string{"read", "write"}}, slackReader: {Name: "bob", Scopes: []string{"read"}}},
			WebAPIURL: fake.APIURL(), ResponseURLPrefix: fake.ResponseURLPrefix(),
			// Far beyond any call here: the tests read answers, not deferrals.
			Budget: time.Minute,
		}})
	return &slackEnv{env: e, h: h, fake: fake, logs: logs}
}

// post sends a body to a Slack route, signed at ts with secret (when not
// empty), with extra headers.
func (e *slackEnv) post(path, body, secret string, ts time.Time, extra map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set(slack.HeaderTimestamp, stamp)
	if secret != "" {
		req.Header.Set(slack.HeaderSignature, slack.SignatureHeader([]byte(secret), stamp, []byte(body)))
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// command runs /muster text as a Slack user and decodes the answer.
func (e *slackEnv) command(user, text string, extra map[string]string) slack.Message {
	e.t.Helper()
	form := url.Values{"command": {"/muster"}, "text": {text}, "user_id": {user}, "user_name": {"someone"},
		"channel_id": {"C0INCIDENT"}, "response_url": {e.fake.ResponseURL("commands/1")}, "trigger_id": {"1.2.3"}}
	rec := e.post("/chatops/slack/commands", form.Encode(), slackSecret, now, extra)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("/muster %s: %d %s", text, rec.Code, rec.Body)
	}
	var m slack.Message
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		e.t.Fatalf("/muster %s: %v", text, err)
	}
	if err := slack.Check(m.Blocks, slack.MaxBlocks); err != nil {
		e.t.Errorf("/muster %s: %v", text, err)
	}
	return m
}

func text(m slack.Message) string { return string(slack.JSON(m)) }

// TestSlackSignatureRefusals: a request not signed with the secret, or
// signed outside the five-minute window, is refused before its body is
// parsed (a body that is not even a form gets 401, not 400) and changes
// nothing.
func TestSlackSignatureRefusals(t *testing.T) {
	e := newSlackEnv(t)
	e.seedIncident("inc-sig")
	resolve := url.Values{"command": {"/muster"}, "text": {"resolve inc-sig TruePositive"}, "user_id": {slackWriter},
		"response_url": {e.fake.ResponseURL("x")}}.Encode()
	tests := []struct {
		name   string
		path   string
		body   string
		secret string
		at     time.Time
		extra  map[string]string
	}{
		{"forged", "/chatops/slack/commands", resolve, "another-secret", now, nil},
		{"unsigned", "/chatops/slack/commands", resolve, "", now, nil},
		{"stale", "/chatops/slack/commands", resolve, slackSecret, now.Add(-6 * time.Minute), nil},
		{"from the future", "/chatops/slack/commands", resolve, slackSecret, now.Add(6 * time.Minute), nil},
		{"not a form, unsigned", "/chatops/slack/commands", "%zz%", "", now, nil},
		{"bearer token instead", "/chatops/slack/commands", resolve, "", now, map[string]string{"Authorization": "Bearer " + writeToken}},
		{"forged interaction", "/chatops/slack/interactions", "payload=%7B%22type%22%3A%22block_actions%22%7D", "another-secret", now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.post(tt.path, tt.body, tt.secret, tt.at, tt.extra)
			if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), slackSecret) {
				t.Fatalf("%d %s, want 401", rec.Code, rec.Body)
			}
		})
	}
	inc, err := e.store.GetIncident(t.Context(), "inc-sig")
	if err != nil || inc.Status != incident.StatusActive || inc.Version != 1 {
		t.Errorf("incident after refused requests: %s v%d %v", inc.Status, inc.Version, err)
	}
	if calls := e.fake.Calls(); len(calls) != 0 {
		t.Errorf("Slack was called %d times for refused requests", len(calls))
	}
	// Slack's own documented request, signed with our test secret, is
	// accepted: the documented user is not mapped, and its empty text
	// asks for help.
	rec := e.post("/chatops/slack/commands", string(slacktest.Command), slackSecret, now, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/muster") {
		t.Errorf("Slack's documented command: %d %s", rec.Code, rec.Body)
	}
}

func TestSlackCommands(t *testing.T) {
	e := newSlackEnv(t)
	e.seedIncident("inc-a", sampleAlert("gd-slack-1", now.Add(-time.Hour)))
	e.seedIncident("inc-b")
	tests := []struct {
		name     string
		user     string
		text     string
		retry    bool
		wantType string
		want     []string // in the answer
	}{
		{"help", slackReader, "help", false, slack.Ephemeral, []string{"list [severity=High]"}},
		{"list", slackReader, "list severity=High status=Active", false, slack.Ephemeral, []string{"inc-a", "inc-b", "2 incident(s)"}},
		{"list bad filter", slackReader, "list colour=red", false, slack.Ephemeral, []string{"key=value"}},
		{"show", slackReader, "show inc-a", false, slack.Ephemeral, []string{"web-prod-1", "[InitialAccess]", "assign_me", "https://muster.example/#/incidents/inc-a"}},
		{"show missing", slackReader, "show inc-nope", false, slack.Ephemeral, []string{"No such incident"}},
		{"stranger reads nothing", slackStranger, "list", false, slack.Ephemeral, []string{"not allowed"}},
		{"reader cannot act", slackReader, "assign inc-a me", false, slack.Ephemeral, []string{"not allowed"}},
		{"assign me", slackWriter, "assign inc-a me", false, slack.InChannel, []string{"assigned to alice", "alice"}},
		{"assign mapped mention", slackWriter, "assign inc-b <@" + slackReader + "|bobby>", false, slack.InChannel, []string{"assigned to bob"}},
		{"resolve", slackWriter, "resolve inc-a tp contained at the edge", false, slack.InChannel, []string{"resolved as TruePositive"}},
		{"resolve retried", slackWriter, "resolve inc-a TruePositive contained at the edge", true, slack.Ephemeral, []string{"already resolved as TruePositive"}},
		{"bad classification", slackWriter, "resolve inc-b maybe", false, slack.Ephemeral, []string{"TruePositive, BenignPositive"}},
		{"dismiss needs a reason", slackWriter, "dismiss inc-b", false, slack.Ephemeral, []string{"say why"}},
		{"dismiss", slackWriter, "dismiss inc-b lab traffic", false, slack.InChannel, []string{"dismissed"}},
		{"respond", slackWriter, "respond inc-a isolate-instance instanceId=i-0a1b2c3d4e5f60718", false, slack.InChannel, []string{"requested `isolate-instance`"}},
		{"respond retried", slackWriter, "respond inc-a isolate-instance instanceId=i-0a1b2c3d4e5f60718", true, slack.Ephemeral, []string{"already requested"}},
		{"respond outside the incident", slackWriter, "respond inc-a isolate-instance instanceId=i-0123456789abcdef0", false, slack.Ephemeral, []string{"Could not run"}},
		{"unknown playbook", slackWriter, "respond inc-a reboot-world", false, slack.Ephemeral, []string{"No playbook"}},
		{"unknown verb", slackWriter, "frobnicate inc-a", false, slack.Ephemeral, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra map[string]string
			if tt.retry {
				extra = map[string]string{slack.HeaderRetryNum: "1", "X-Slack-Retry-Reason": "http_timeout"}
			}
			m := e.command(tt.user, tt.text, extra)
			if m.ResponseType != tt.wantType {
				t.Errorf("response_type %q, want %q: %s", m.ResponseType, tt.wantType, text(m))
			}
			for _, w := range tt.want {
				if !strings.Contains(text(m), w) {
					t.Errorf("answer lacks %q: %s", w, text(m))
				}
			}
		})
	}
	cs, err := e.store.Comments(t.Context(), "inc-a")
	if err != nil || len(cs) != 1 || cs[0].Author != "alice" || cs[0].Text != "contained at the edge" {
		t.Errorf("comments on inc-a after a resolve and its retry: %+v %v", cs, err)
	}
	reqs, err := e.store.ResponseRequests(t.Context(), "inc-a")
	if err != nil || len(reqs) != 1 || reqs[0].RequestedBy != "alice" {
		t.Errorf("playbook requests after a request and its retry: %+v %v", reqs, err)
	}
}

// interact sends a block_actions or view_submission payload as a Slack
// user and returns the HTTP answer.
func (e *slackEnv) interact(payload map[string]any, retry bool) *httptest.ResponseRecorder {
	e.t.Helper()
	body := url.Values{"payload": {string(slack.JSON(payload))}}.Encode()
	var extra map[string]string
	if retry {
		extra = map[string]string{slack.HeaderRetryNum: "1"}
	}
	rec := e.post("/chatops/slack/interactions", body, slackSecret, now, extra)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("interaction: %d %s", rec.Code, rec.Body)
	}
	return rec
}

// click is a block_actions payload for one element of a card's actions
// block, shaped like Slack's documented example
// (slacktest.BlockActions).
func (e *slackEnv) click(user, blockID, actionID, selected string) map[string]any {
	e.t.Helper()
	var p map[string]any
	if err := json.Unmarshal(slacktest.BlockActions, &p); err != nil {
		e.t.Fatal(err)
	}
	p["user"] = map[string]any{"id": user, "username": "someone"}
	p["response_url"] = e.fake.ResponseURL("actions/" + actionID)
	action := map[string]any{"action_id": actionID, "block_id": blockID, "type": "button", "value": "x"}
	if selected != "" {
		action["type"] = "static_select"
		action["selected_option"] = map[string]any{"text": map[string]any{"type": "plain_text", "text": selected}, "value": selected}
	}
	p["actions"] = []any{action}
	return p
}

// cardBlockID is the block id of the actions block of a card.
func cardBlockID(t *testing.T, m slack.Message) string {
	t.Helper()
	for _, b := range m.Blocks {
		if b.Type == "actions" {
			return b.BlockID
		}
	}
	t.Fatalf("no actions block in %s", text(m))
	return ""
}

// lastAnswer is the last message posted to a response URL.
func (e *slackEnv) lastAnswer() map[string]any {
	e.t.Helper()
	calls := e.fake.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == "response_url" {
			if calls[i].Error != "" {
				e.t.Fatalf("Slack refused the answer: %s", calls[i].Error)
			}
			return calls[i].Body
		}
	}
	e.t.Fatal("nothing posted to a response URL")
	return nil
}

// TestSlackButtonResolves: "Resolve as TruePositive" on a card resolves
// the incident at the card's version and updates the card in place; the
// same click again (a retry) changes nothing; a click on the old card for
// another change is refused as out of date and answered with the current
// card.
func TestSlackButtonResolves(t *testing.T) {
	e := newSlackEnv(t)
	e.seedIncident("inc-btn")
	card := e.command(slackReader, "show inc-btn", nil)
	block := cardBlockID(t, card)

	e.interact(e.click(slackWriter, block, chatops.ActionResolve, "TruePositive"), false)
	ans := e.lastAnswer()
	if ans["replace_original"] != true || ans["response_type"] != slack.InChannel || !strings.Contains(string(slack.JSON(ans)), "Resolved · TruePositive") {
		t.Errorf("answer to the click: %s", slack.JSON(ans))
	}
	inc, _ := e.store.GetIncident(t.Context(), "inc-btn")
	if inc.Status != incident.StatusResolved || inc.Classification != incident.TruePositive || inc.UpdatedBy != "alice" || inc.Version != 2 {
		t.Fatalf("after the click: %s %s by %s v%d", inc.Status, inc.Classification, inc.UpdatedBy, inc.Version)
	}

	e.interact(e.click(slackWriter, block, chatops.ActionResolve, "TruePositive"), true)
	if ans := e.lastAnswer(); ans["response_type"] != slack.Ephemeral || !strings.Contains(string(slack.JSON(ans)), "already resolved") {
		t.Errorf("answer to the retried click: %s", slack.JSON(ans))
	}
	e.interact(e.click(slackWriter, block, chatops.ActionAssignMe, ""), false)
	if ans := e.lastAnswer(); !strings.Contains(string(slack.JSON(ans)), "out of date") {
		t.Errorf("answer to a click on an old card: %s", slack.JSON(ans))
	}
	e.interact(e.click(slackReader, block, chatops.ActionDismiss, ""), false)
	if ans := e.lastAnswer(); !strings.Contains(string(slack.JSON(ans)), "not allowed") {
		t.Errorf("answer to a reader's click: %s", slack.JSON(ans))
	}
	after, _ := e.store.GetIncident(t.Context(), "inc-btn")
	if after.Version != inc.Version || after.Owner != "" {
		t.Errorf("the retried and the stale clicks changed the incident: v%d owner %q", after.Version, after.Owner)
	}
}

// TestSlackPlaybookModal: "Run playbook" opens a modal with the
// playbook's parameters pre-filled from the incident; submitting it
// requests the playbook, and a refused value is shown in the modal.
func TestSlackPlaybookModal(t *testing.T) {
	e := newSlackEnv(t)
	e.seedIncident("inc-pb", sampleAlert("gd-pb-1", now.Add(-time.Hour)))
	block := cardBlockID(t, e.command(slackWriter, "show inc-pb", nil))
	e.interact(e.click(slackWriter, block, chatops.ActionPlaybook, "isolate-instance"), false)
	var view map[string]any
	for _, c := range e.fake.Calls() {
		if c.Method == "views.open" {
			if c.Error != "" {
				t.Fatalf("views.open refused: %s", c.Error)
			}
			view, _ = c.Body["view"].(map[string]any)
		}
	}
	if view == nil || !strings.Contains(string(slack.JSON(view)), `"initial_value":"i-0a1b2c3d4e5f60718"`) {
		t.Fatalf("modal: %s", slack.JSON(view))
	}
	submit := func(instance string) *httptest.ResponseRecorder {
		p := map[string]any{"type": "view_submission", "user": map[string]any{"id": slackWriter},
			"view": map[string]any{"callback_id": view["callback_id"], "private_metadata": view["private_metadata"],
				"state": map[string]any{"values": map[string]any{
					"param:instanceId":              map[string]any{"value": map[string]any{"type": "plain_text_input", "value": instance}},
					"param:quarantineSecurityGroup": map[string]any{"value": map[string]any{"type": "plain_text_input", "value": nil}},
				}}}}
		return e.interact(p, false)
	}
	if rec := submit("i-0123456789abcdef0"); !strings.Contains(rec.Body.String(), `"response_action":"errors"`) {
		t.Errorf("a resource outside the incident: %s", rec.Body)
	}
	if rec := submit("i-0a1b2c3d4e5f60718"); rec.Body.Len() != 0 {
		t.Errorf("a valid submission should close the modal: %s", rec.Body)
	}
	if ans := e.lastAnswer(); !strings.Contains(string(slack.JSON(ans)), "requested `isolate-instance`") {
		t.Errorf("answer in the channel: %s", slack.JSON(ans))
	}
	reqs, err := e.store.ResponseRequests(t.Context(), "inc-pb")
	if err != nil || len(reqs) != 1 || reqs[0].Parameters["instanceId"] != "i-0a1b2c3d4e5f60718" {
		t.Errorf("requests: %+v %v", reqs, err)
	}
}
