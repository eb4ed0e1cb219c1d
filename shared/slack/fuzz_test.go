package slack_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/slack/slacktest"
)

// FuzzVerifyAndParse: any body and headers are refused or parsed without
// a panic; a body verified with the secret always reaches the parsers.
func FuzzVerifyAndParse(f *testing.F) {
	f.Add(slacktest.Command, "1531420618", "v0=00")
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D"), "", "")
	f.Add([]byte("%zz"), "x", "v0=zz")
	secret := []byte("fuzz-secret")
	now := time.Unix(1531420618, 0)
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		h := http.Header{}
		h.Set(slack.HeaderTimestamp, ts)
		h.Set(slack.HeaderSignature, sig)
		_ = slack.Verify(secret, h.Get, body, now)
		stamp := strconv.FormatInt(now.Unix(), 10)
		h.Set(slack.HeaderTimestamp, stamp)
		h.Set(slack.HeaderSignature, slack.SignatureHeader(secret, stamp, body))
		if err := slack.Verify(secret, h.Get, body, now); err != nil {
			t.Fatalf("a correctly signed body is refused: %v", err)
		}
		_, _ = slack.ParseCommand(body)
		_, _ = slack.ParseInteraction(body)
	})
}
