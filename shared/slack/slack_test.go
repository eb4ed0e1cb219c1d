package slack_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/slack/slacktest"
)

// Slack's documented signing example: this secret, timestamp and
// slash-command body (slacktest.Command) sign to this signature.
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func headers(ts, sig string) func(string) string {
	h := http.Header{}
	h.Set(slack.HeaderTimestamp, ts)
	h.Set(slack.HeaderSignature, sig)
	return h.Get
}

func TestVerify(t *testing.T) {
	body := slacktest.Command
	at := time.Unix(1531420618, 0)
	tests := []struct {
		name   string
		secret string
		ts     string
		sig    string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"slack's example", docSecret, docTimestamp, docSignature, body, at.Add(30 * time.Second), true},
		{"edge of the window", docSecret, docTimestamp, docSignature, body, at.Add(slack.Window), true},
		{"stale", docSecret, docTimestamp, docSignature, body, at.Add(slack.Window + time.Second), false},
		{"from the future", docSecret, docTimestamp, docSignature, body, at.Add(-slack.Window - time.Second), false},
		{"other secret", "not-the-secret", docTimestamp, docSignature, body, at, false},
		{"body changed", docSecret, docTimestamp, docSignature, append(bytes.Clone(body), '&'), at, false},
		{"timestamp changed", docSecret, "1531420619", docSignature, body, at, false},
		{"no v0 prefix", docSecret, docTimestamp, strings.TrimPrefix(docSignature, "v0="), body, at, false},
		{"not hex", docSecret, docTimestamp, "v0=zz", body, at, false},
		{"no timestamp", docSecret, "", docSignature, body, at, false},
		{"no secret configured", "", docTimestamp, docSignature, body, at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := slack.Verify([]byte(tt.secret), headers(tt.ts, tt.sig), tt.body, tt.now)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, slack.ErrBadSignature) {
				t.Errorf("error %v does not wrap ErrBadSignature", err)
			}
			if err != nil && tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error quotes the secret: %v", err)
			}
		})
	}
	if got := slack.SignatureHeader([]byte(docSecret), docTimestamp, body); got != docSignature {
		t.Errorf("SignatureHeader = %s, want Slack's %s", got, docSignature)
	}
}

func TestParsePayloads(t *testing.T) {
	c, err := slack.ParseCommand(slacktest.Command)
	if err != nil || c.UserID != "U2CERLKJA" || c.Command != "/webhook-collect" || !strings.HasPrefix(c.ResponseURL, "https://hooks.slack.com/commands/") {
		t.Errorf("ParseCommand = %+v, %v", c, err)
	}
	form := url.Values{"payload": {string(slacktest.BlockActions)}}.Encode()
	in, err := slack.ParseInteraction([]byte(form))
	if err != nil || in.Type != "block_actions" || in.User.ID != "UA8RXUSPL" || len(in.Actions) != 1 || in.Actions[0].Value != "click_me_123" {
		t.Errorf("ParseInteraction = %+v, %v", in, err)
	}
	for _, bad := range []string{"", "payload=%7B", "payload=%7B%7D", "%zz"} {
		if _, err := slack.ParseInteraction([]byte(bad)); err == nil {
			t.Errorf("ParseInteraction(%q) accepted", bad)
		}
	}
	if _, err := slack.ParseCommand([]byte("text=list")); err == nil {
		t.Error("ParseCommand accepted a command without user_id")
	}
}

func section(n int) slack.Block {
	return slack.Block{Type: "section", Text: &slack.Text{Type: "mrkdwn", Text: strings.Repeat("x", n)}}
}

func blocks(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = section(10)
	}
	return out
}

// TestClientAgainstTheFake posts, updates and opens views on the fake;
// messages beyond Block Kit's limits are refused before they are sent,
// and the fake refuses them too when they are sent anyway.
func TestClientAgainstTheFake(t *testing.T) {
	fake := slacktest.New()
	defer fake.Close()
	c := &slack.Client{Token: slacktest.Token, BaseURL: fake.APIURL(), ResponseURLPrefix: fake.ResponseURLPrefix()}
	ctx := context.Background()
	ts, err := c.PostMessage(ctx, slack.Message{Channel: "C1", Text: "hi", Blocks: blocks(50)})
	if err != nil || ts == "" {
		t.Fatalf("PostMessage: %q %v", ts, err)
	}
	if err := c.Update(ctx, slack.Message{Channel: "C1", TS: ts, Text: "hi again", Blocks: blocks(1)}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := c.OpenView(ctx, "trigger", slack.View{Type: "modal", Title: slack.Plain("t", 24), Blocks: blocks(2)}); err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if err := c.Respond(ctx, fake.ResponseURL("r1"), slack.Message{Text: "answer"}); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	refused := []struct {
		name string
		err  error
	}{
		{"51 blocks", func() error {
			_, err := c.PostMessage(ctx, slack.Message{Channel: "C1", Blocks: blocks(51)})
			return err
		}()},
		{"3001 characters", c.Update(ctx, slack.Message{Channel: "C1", TS: ts, Blocks: []slack.Block{section(3001)}})},
		{"foreign response url", c.Respond(ctx, "https://attacker.example/hooks/x", slack.Message{Text: "x"})},
	}
	for _, r := range refused {
		if r.err == nil {
			t.Errorf("%s: sent", r.name)
		}
	}
	if n := len(fake.Calls()); n != 4 {
		t.Errorf("the fake saw %d calls, want 4 (refusals are not sent)", n)
	}
	bad := &slack.Client{Token: "xoxb-wrong", BaseURL: fake.APIURL()}
	if _, err := bad.PostMessage(ctx, slack.Message{Channel: "C1"}); !errors.Is(err, slack.ErrAPI) || strings.Contains(err.Error(), "xoxb-wrong") {
		t.Errorf("wrong token: %v", err)
	}
	// The fake checks limits itself.
	raw := `{"channel":"C1","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("y", 3001) + `"}}]}`
	req, _ := http.NewRequest(http.MethodPost, fake.APIURL()+"/chat.postMessage", strings.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+slacktest.Token)
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if last := calls[len(calls)-1]; !strings.Contains(last.Error, "3000") {
		t.Errorf("the fake accepted a 3,001-character text: %+v", last.Error)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"ééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		if got := slack.Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
