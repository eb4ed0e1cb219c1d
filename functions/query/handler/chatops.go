package handler

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/muster-sec/muster/shared/apiclient"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/slack"
)

// SlackOptions configure the Slack app's two operations. Without a
// signing secret every Slack request is refused (401).
type SlackOptions struct {
	SigningSecret auth.Credential
	// BotToken (xoxb-…) opens the playbook form (views.open).
	BotToken auth.Credential
	Users    chatops.Users
	// WebAPIURL and ResponseURLPrefix point the Slack client elsewhere
	// (a fake Slack in tests); Slack's own when empty.
	WebAPIURL         string
	ResponseURLPrefix string
	// Budget is how long an answer may take before it is deferred to the
	// response URL (Slack waits three seconds); DefaultSlackBudget when 0.
	Budget time.Duration
	HTTP   *http.Client // for calls to Slack; a 10 s client when nil
}

// DefaultSlackBudget leaves Slack's three seconds room for the network.
const DefaultSlackBudget = 2500 * time.Millisecond

// newBot builds the Slack bot: it calls this API in process, as the
// principal each Slack user maps to.
func (h *Handler) newBot(o SlackOptions) *chatops.Bot {
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Budget <= 0 {
		o.Budget = DefaultSlackBudget
	}
	h.slackSecret, h.slackBudget = []byte(o.SigningSecret), o.Budget
	return &chatops.Bot{
		Users: o.Users,
		API: func(p auth.Principal) chatops.API {
			return &apiclient.Client{BaseURL: "http://in-process", HTTP: &http.Client{Transport: inProcess{h: h, p: p}}}
		},
		Slack:      &slack.Client{Token: o.BotToken, BaseURL: o.WebAPIURL, HTTP: hc, ResponseURLPrefix: o.ResponseURLPrefix},
		ConsoleURL: h.apiURL,
		Log:        h.log.With("component", "chatops"),
		Now:        h.now,
	}
}

// principalKey marks a request made in process by the Slack bot, for the
// principal it carries. The key is unexported: no request from outside
// can carry it, so it cannot stand in for a bearer token.
type principalKey struct{}

// inProcess serves the bot's API calls with this handler, without the
// network, as principal p; scopes are checked as for any caller.
type inProcess struct {
	h *Handler
	p auth.Principal
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.h.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), principalKey{}, t.p)))
	return &http.Response{StatusCode: rec.status, Header: rec.header, Body: io.NopCloser(&rec.body), Request: req}, nil
}

// recorder is the response writer of an in-process call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// caller authenticates a bearer request: the in-process principal when
// the bot makes the call, else the token.
func (h *Handler) caller(hr *http.Request) (auth.Principal, error) {
	if p, ok := hr.Context().Value(principalKey{}).(auth.Principal); ok {
		return p, nil
	}
	return h.auth.Authenticate(auth.Request{Header: hr.Header.Get}, h.now())
}

// verifySlack checks a Slack request's signature over its raw body, read
// here; nothing of the body is parsed before it passes.
func (h *Handler) verifySlack(r *request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return slack.Verify(h.slackSecret, r.Header.Get, body, h.now())
}

// retried reports whether Slack says this is a retry of a request.
func retried(r *request) bool {
	n := r.Header.Get(slack.HeaderRetryNum)
	return n != "" && n != "0"
}

func (h *Handler) slackCommand(ctx context.Context, r *request) (reply, error) {
	cmd, err := slack.ParseCommand(r.body)
	if err != nil {
		return reply{}, badRequest(err.Error())
	}
	again := retried(r)
	m := chatops.Within(ctx, h.slackBudget,
		func(ctx context.Context) slack.Message { return h.bot.Command(ctx, cmd, again) },
		slack.Message{ResponseType: slack.Ephemeral, Text: "Working on it…"},
		func(ctx context.Context, m slack.Message) { h.bot.Late(ctx, cmd.ResponseURL, m) })
	return jsonReply(http.StatusOK, m), nil
}

func (h *Handler) slackInteraction(ctx context.Context, r *request) (reply, error) {
	in, err := slack.ParseInteraction(r.body)
	if err != nil {
		return reply{}, badRequest(err.Error())
	}
	again := retried(r)
	body := chatops.Within(ctx, h.slackBudget,
		func(ctx context.Context) []byte { return h.bot.Interaction(ctx, in, again) },
		nil, func(context.Context, []byte) {})
	if body == nil {
		return reply{status: http.StatusOK}, nil
	}
	return textReply("application/json", string(body)), nil
}

// slackFromEnv reads the Slack app's settings (chatops.SettingsFromEnv).
func slackFromEnv(ctx context.Context, getenv func(string) string, param func(context.Context, string) (string, error)) (SlackOptions, error) {
	st, err := chatops.SettingsFromEnv(ctx, getenv, param)
	if err != nil {
		return SlackOptions{}, err
	}
	return SlackOptions{SigningSecret: st.SigningSecret, BotToken: st.BotToken, Users: st.Users}, nil
}
