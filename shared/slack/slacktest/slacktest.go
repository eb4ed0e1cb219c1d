// Package slacktest is a local fake of the parts of Slack's Web API
// Muster calls (chat.postMessage, chat.update, views.open) and of its
// response URLs. It records every call and, like Slack, refuses a
// message beyond Block Kit's limits (more than 50 blocks, or 100 in a
// modal; a text over 3,000 characters) with ok: false, checking the JSON
// it receives on its own rather than trusting package slack's checks.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Token is the bot token the fake accepts.
const Token = "xoxb-test-token"

// Call is one request the fake received.
type Call struct {
	Method string         // chat.postMessage, chat.update, views.open, or "response_url"
	Body   map[string]any // the JSON body
	Error  string         // what the fake answered when it refused the call
	TS     string         // the message ts the fake answered with
}

// Server is the fake. Web API methods are served under URL()+"/api/", and
// response URLs under ResponseURL(…).
type Server struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []Call
	ts    int
}

// New starts a fake; Close stops it.
func New() *Server {
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// APIURL is the base URL for slack.Client.BaseURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api" }

// ResponseURLPrefix is what every response URL of the fake starts with.
func (s *Server) ResponseURLPrefix() string { return s.srv.URL + "/hooks/" }

// ResponseURL is a response URL of the fake for a command or interaction.
func (s *Server) ResponseURL(name string) string { return s.ResponseURLPrefix() + name }

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	c := Call{Method: strings.TrimPrefix(r.URL.Path, "/api/")}
	if strings.HasPrefix(r.URL.Path, "/hooks/") {
		c.Method = "response_url"
	}
	switch {
	case json.Unmarshal(raw, &body) != nil:
		c.Error = "invalid_json"
	case c.Method != "response_url" && r.Header.Get("Authorization") != "Bearer "+Token:
		c.Error = "invalid_auth"
	default:
		c.Error = check(c.Method, body)
	}
	c.Body = body
	s.mu.Lock()
	s.ts++
	c.TS = "1700000000." + strconv.Itoa(100000+s.ts)
	if t, ok := body["ts"].(string); ok {
		c.TS = t // chat.update answers with the message it updated
	}
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if c.Error != "" {
		_, _ = fmt.Fprintf(w, `{"ok":false,"error":%q}`, c.Error)
		return
	}
	channel, _ := body["channel"].(string)
	ts := c.TS
	_, _ = fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, channel, ts)
}

// check applies Slack's rules for each method.
func check(method string, body map[string]any) string {
	switch method {
	case "chat.postMessage", "chat.update":
		if body["channel"] == nil {
			return "channel_not_found"
		}
		if method == "chat.update" && body["ts"] == nil {
			return "message_not_found"
		}
		return checkBlocks(body["blocks"], 50)
	case "views.open":
		view, _ := body["view"].(map[string]any)
		if body["trigger_id"] == nil || view == nil {
			return "invalid_arguments"
		}
		return checkBlocks(view["blocks"], 100)
	case "response_url":
		return checkBlocks(body["blocks"], 50)
	}
	return "unknown_method"
}

func checkBlocks(v any, max int) string {
	blocks, _ := v.([]any)
	if len(blocks) > max {
		return "invalid_blocks: too many blocks"
	}
	if longText(v) {
		return "invalid_blocks: text over 3000 characters"
	}
	return ""
}

// longText reports a "text" string over 3,000 characters anywhere in v.
func longText(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "text" && utf8.RuneCountInString(s) > 3000 {
				return true
			}
			if longText(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if longText(e) {
				return true
			}
		}
	}
	return false
}
