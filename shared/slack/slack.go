// Package slack speaks the parts of Slack's platform Muster's Slack app
// uses: request signing (Verify), Block Kit messages and their limits
// (Message, Check), the payloads Slack sends (Command, Interaction), and a
// small Web API client (chat.postMessage, chat.update, views.open and
// response_url).
//
// Verify must run on the raw body before anything of it is parsed: a
// request Slack did not sign, or signed more than five minutes ago, is
// refused with ErrBadSignature and nothing else happens. The signing
// secret and the bot token are auth.Credential values, which redact
// themselves in logs and errors.
package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a signed Slack request.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderRetryNum  = "X-Slack-Retry-Num"
)

// Window is how far a request's timestamp may be from now (Slack's
// recommendation).
const Window = 5 * time.Minute

// ErrBadSignature is a request not signed with the signing secret, or
// signed outside the window.
var ErrBadSignature = errors.New("slack request signature invalid")

// Verify checks Slack's v0 signature: X-Slack-Signature is "v0=" and the
// hex HMAC-SHA256, keyed by the signing secret, of
// "v0:<X-Slack-Request-Timestamp>:<raw body>", and the timestamp is within
// Window of now. The comparison is constant-time. Errors wrap
// ErrBadSignature and quote nothing of the request.
func Verify(secret []byte, header func(string) string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no signing secret configured", ErrBadSignature)
	}
	ts := header(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s must be unix seconds", ErrBadSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return fmt.Errorf("%w: timestamp outside the %s window", ErrBadSignature, Window)
	}
	hexSig, ok := strings.CutPrefix(header(HeaderSignature), "v0=")
	if !ok {
		return fmt.Errorf("%w: %s must be v0=<hex>", ErrBadSignature, HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s must be v0=<hex>", ErrBadSignature, HeaderSignature)
	}
	if !hmac.Equal(got, Sign(secret, ts, body)) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return nil
}

// Sign returns the v0 HMAC of a request, as Slack computes it.
func Sign(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeader is the X-Slack-Signature value for a request (for
// tests and local tools).
func SignatureHeader(secret []byte, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(Sign(secret, timestamp, body))
}
