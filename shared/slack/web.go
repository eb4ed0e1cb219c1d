package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/muster-sec/muster/shared/auth"
)

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api"

// ErrAPI is a Web API call Slack answered with ok: false (or not at all).
var ErrAPI = errors.New("slack web api call failed")

// Client calls Slack's Web API with a bot token.
type Client struct {
	Token   auth.Credential // xoxb-…
	BaseURL string          // DefaultAPIURL when empty
	HTTP    *http.Client    // http.DefaultClient when nil
	// ResponseURLPrefix is what a response_url must start with:
	// DefaultResponseURLPrefix when empty. Anything else is refused, so a
	// payload cannot make Muster post elsewhere.
	ResponseURLPrefix string
}

// DefaultResponseURLPrefix is where Slack's response URLs live.
const DefaultResponseURLPrefix = "https://hooks.slack.com/"

// PostMessage posts m to m.Channel and returns the message's ts.
func (c *Client) PostMessage(ctx context.Context, m Message) (string, error) {
	if err := Check(m.Blocks, MaxBlocks); err != nil {
		return "", err
	}
	var out struct {
		TS string `json:"ts"`
	}
	err := c.call(ctx, "chat.postMessage", m, &out)
	return out.TS, err
}

// Update replaces the message m.TS in m.Channel.
func (c *Client) Update(ctx context.Context, m Message) error {
	if err := Check(m.Blocks, MaxBlocks); err != nil {
		return err
	}
	return c.call(ctx, "chat.update", m, nil)
}

// OpenView opens a modal for the interaction with triggerID.
func (c *Client) OpenView(ctx context.Context, triggerID string, v View) error {
	if err := Check(v.Blocks, MaxModalBlocks); err != nil {
		return err
	}
	return c.call(ctx, "views.open", map[string]any{"trigger_id": triggerID, "view": v}, nil)
}

func (c *Client) call(ctx context.Context, method string, body, out any) error {
	base := c.BaseURL
	if base == "" {
		base = DefaultAPIURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/"+method, bytes.NewReader(JSON(body)))
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+string(c.Token))
	raw, err := c.do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || !res.OK {
		return fmt.Errorf("%s: %w: %s", method, ErrAPI, res.Error)
	}
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	return nil
}

func (c *Client) do(req *http.Request) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL error names the endpoint, never the token (a header).
		return nil, fmt.Errorf("%w: %v", ErrAPI, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", ErrAPI, resp.StatusCode)
	}
	return raw, nil
}

// Respond posts an answer to an interaction's or command's response_url
// (valid 30 minutes, five times), used when the answer comes later than
// Slack's three seconds. It needs no token.
func (c *Client) Respond(ctx context.Context, responseURL string, m Message) error {
	if err := Check(m.Blocks, MaxBlocks); err != nil {
		return err
	}
	prefix := c.ResponseURLPrefix
	if prefix == "" {
		prefix = DefaultResponseURLPrefix
	}
	if !strings.HasPrefix(responseURL, prefix) {
		return fmt.Errorf("response_url: %w: not a Slack response URL", ErrAPI)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(JSON(m)))
	if err != nil {
		return fmt.Errorf("response_url: %w", ErrAPI)
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = c.do(req)
	return err
}
