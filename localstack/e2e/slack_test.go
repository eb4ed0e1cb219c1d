package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/slack"
)

// TestSlackCommandThroughTheLocalStack: with the Slack settings in the
// environment, a signed /muster command reaches the query handler through
// the local gateway and is answered as the mapped user; a forged one is
// refused.
func TestSlackCommandThroughTheLocalStack(t *testing.T) {
	const secret = "e2e-slack-secret"
	r := startRunner(t, map[string]string{
		"MUSTER_SLACK_SIGNING_SECRET": secret,
		"MUSTER_SLACK_USERS":          `{"UE2E00001": {"name": "erin", "scopes": ["read"]}}`,
	})
	send := func(text, key string) (int, string) {
		t.Helper()
		body := url.Values{"command": {"/muster"}, "text": {text}, "user_id": {"UE2E00001"}}.Encode()
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, err := http.NewRequest(http.MethodPost, r.URL()+"/chatops/slack/commands", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(slack.HeaderTimestamp, ts)
		req.Header.Set(slack.HeaderSignature, slack.SignatureHeader([]byte(key), ts, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	status, body := send("list", secret)
	var m slack.Message
	if status != http.StatusOK || json.Unmarshal([]byte(body), &m) != nil || m.ResponseType != slack.Ephemeral ||
		!strings.Contains(body, "No incidents match") {
		t.Errorf("signed /muster list: %d %s", status, body)
	}
	if status, body := send("list", "forged"); status != http.StatusUnauthorized {
		t.Errorf("forged /muster list: %d %s", status, body)
	}
}
