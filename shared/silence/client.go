package silence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Environment variables read by FromEnv.
const (
	// EnvURL is Alertmanager's base URL (http://alertmanager:9093); unset
	// turns silence write-back off.
	EnvURL = "MUSTER_ALERTMANAGER_URL"
	// EnvToken is the credential: "user:password" is sent as basic auth,
	// anything else as a bearer token.
	EnvToken = "MUSTER_ALERTMANAGER_TOKEN"
)

// DefaultDuration is how long a silence lasts when its rule never expires.
const DefaultDuration = 30 * 24 * time.Hour

// CreatedBy is the createdBy of every silence Muster writes.
const CreatedBy = "muster"

// Silence is what Client.Create posts. With ID set it replaces that
// silence (Alertmanager expires it and answers with the id of the one that
// now stands, the same or a new one).
type Silence struct {
	ID        string    `json:"id,omitempty"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
}

// Client talks to one Alertmanager's API v2.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client for the Alertmanager at base. token may be empty;
// hc is a client with a 10s timeout when nil.
func New(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc}
}

// FromEnv returns the client EnvURL and EnvToken configure, and false when
// EnvURL is unset.
func FromEnv(getenv func(string) string) (*Client, bool) {
	base := getenv(EnvURL)
	if base == "" {
		return nil, false
	}
	return New(base, getenv(EnvToken), nil), true
}

// Create posts s and returns the id of the silence that stands.
func (c *Client) Create(ctx context.Context, s Silence) (string, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode silence: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/v2/silences", body)
	if err != nil {
		return "", err
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.SilenceID == "" {
		return "", errors.New("create silence: alertmanager answered without a silenceID")
	}
	return out.SilenceID, nil
}

// Expire ends the silence id now.
func (c *Client) Expire(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/api/v2/silence/"+id, nil)
	return err
}

// do sends one request and returns the body of a 2xx answer. Errors name
// the operation and status, never the credential.
func (c *Client) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: bad alertmanager URL", method, path)
	}
	req.Header.Set("Content-Type", "application/json")
	if user, pass, ok := strings.Cut(c.token, ":"); ok {
		req.SetBasicAuth(user, pass)
	} else if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: alertmanager unreachable: %w", method, path, redact(err, c.token))
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("%s %s: alertmanager answered %s: %s", method, path, resp.Status, msg)
	}
	return out, nil
}

// redact keeps a transport error (which may quote the URL) free of the
// credential.
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[redacted]"))
}
