// Package apiclient is a small typed client of Muster's query and ingest
// API (docs/api.md), used by the muster command and by the Slack app.
//
// Every call takes a context and returns an *Error for an answer outside
// 2xx; its Kind is one of the sentinels (ErrNotFound, ErrConflict, ErrAuth,
// ErrInvalid, ErrServer) so callers decide with errors.Is. Lists come back
// one page at a time (Page, with the opaque cursor of the next page);
// Pages follows the cursors. The token is never put in an error.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/muster-sec/muster/shared/incident"
)

// Sentinel kinds of failed calls.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrAuth     = errors.New("not authorised")
	ErrInvalid  = errors.New("invalid request")
	ErrServer   = errors.New("server or network error")
)

// Error is a failed call: the HTTP status (0 when the server was not
// reached) and the problem's title and detail.
type Error struct {
	Kind   error
	Status int
	Title  string
	Detail string
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if e.Status == 0 {
		return fmt.Sprintf("%v: %s", e.Kind, msg)
	}
	return fmt.Sprintf("%d %s", e.Status, msg)
}

func (e *Error) Unwrap() error { return e.Kind }

// kindOf maps a status to its sentinel.
func kindOf(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return ErrConflict
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuth
	case status >= 400 && status < 500:
		return ErrInvalid
	}
	return ErrServer
}

// Client calls one Muster API. The zero HTTP uses http.DefaultClient.
type Client struct {
	BaseURL string // https://….execute-api…/prod or http://127.0.0.1:8080
	Token   string // bearer token
	HTTP    *http.Client
}

// Page is one page of a list: raw items, as the API sent them, and the
// cursor of the next page ("" on the last).
type Page struct {
	Items  []json.RawMessage `json:"items"`
	Cursor string            `json:"cursor,omitempty"`
}

// call is one request: a JSON body (when body is not nil) in, a JSON answer
// decoded into out (when out is not nil).
type call struct {
	method, path string
	query        url.Values
	header       map[string]string
	body         any
	rawBody      []byte
	out          any
}

// do runs c and returns the answer's headers.
func (cl *Client) do(ctx context.Context, c call) (http.Header, error) {
	u := strings.TrimRight(cl.BaseURL, "/") + c.path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	} else if c.rawBody != nil {
		body = bytes.NewReader(c.rawBody)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return nil, &Error{Kind: ErrInvalid, Detail: "bad URL " + strconv.Quote(cl.BaseURL)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if cl.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cl.Token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	hc := cl.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &Error{Kind: ErrServer, Detail: fmt.Sprintf("%s %s: %v", c.method, c.path, errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &Error{Kind: ErrServer, Detail: "read answer: " + err.Error()}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, problem(resp.StatusCode, raw)
	}
	if c.out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, c.out); err != nil {
			return nil, &Error{Kind: ErrServer, Status: resp.StatusCode, Detail: "answer is not the expected JSON"}
		}
	}
	return resp.Header, nil
}

// problem reads a problem+json answer.
func problem(status int, raw []byte) *Error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(raw, &p)
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	return &Error{Kind: kindOf(status), Status: status, Title: p.Title, Detail: p.Detail}
}

// List reads one page of a list resource (/incidents, /alerts,
// /suppression-rules, …) with the given filters and cursor.
func (cl *Client) List(ctx context.Context, path string, q url.Values, cursor string) (Page, error) {
	q = cloneValues(q)
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var p Page
	_, err := cl.do(ctx, call{method: http.MethodGet, path: path, query: q, out: &p})
	return p, err
}

// Pages reads a list page after page, following the cursors, until the
// last page, the first error (yielded) or the caller stops.
func (cl *Client) Pages(ctx context.Context, path string, q url.Values) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		cursor := ""
		for {
			p, err := cl.List(ctx, path, q, cursor)
			if !yield(p, err) || err != nil || p.Cursor == "" {
				return
			}
			cursor = p.Cursor
		}
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Get reads one resource into out (a *json.RawMessage keeps it as sent).
func (cl *Client) Get(ctx context.Context, path string, out any) error {
	_, err := cl.do(ctx, call{method: http.MethodGet, path: path, out: out})
	return err
}

// Delete deletes one resource.
func (cl *Client) Delete(ctx context.Context, path string) error {
	_, err := cl.do(ctx, call{method: http.MethodDelete, path: path})
	return err
}

// Detail is GET /incidents/{id}: the incident with its comments and
// timeline, and the raw answer.
type Detail struct {
	incident.Incident
	Comments []incident.Comment       `json:"comments"`
	Timeline []incident.TimelineEntry `json:"timeline"`
	Links    map[string]string        `json:"links"`
	Raw      json.RawMessage          `json:"-"`
}

// Incident reads one incident.
func (cl *Client) Incident(ctx context.Context, id string) (Detail, error) {
	var raw json.RawMessage
	if err := cl.Get(ctx, "/incidents/"+url.PathEscape(id), &raw); err != nil {
		return Detail{}, err
	}
	var d Detail
	if err := json.Unmarshal(raw, &d); err != nil {
		return Detail{}, &Error{Kind: ErrServer, Detail: "incident answer is not the expected JSON"}
	}
	d.Raw = raw
	return d, nil
}

// Patch is PATCH /incidents/{id}: the fields to change (nil: unchanged).
type Patch struct {
	Status         *string `json:"status,omitempty"`
	Owner          *string `json:"owner,omitempty"`
	Classification *string `json:"classification,omitempty"`
	Severity       *string `json:"severity,omitempty"`
}

// PatchIncident changes an incident at version (If-Match); a stale
// version fails with ErrConflict.
func (cl *Client) PatchIncident(ctx context.Context, id string, version int64, p Patch) (incident.Incident, error) {
	var out incident.Incident
	_, err := cl.do(ctx, call{method: http.MethodPatch, path: "/incidents/" + url.PathEscape(id),
		header: map[string]string{"If-Match": `"` + strconv.FormatInt(version, 10) + `"`}, body: p, out: &out})
	return out, err
}

// Comment adds a comment to an incident.
func (cl *Client) Comment(ctx context.Context, id, text string) (incident.Comment, error) {
	var out incident.Comment
	_, err := cl.do(ctx, call{method: http.MethodPost, path: "/incidents/" + url.PathEscape(id) + "/comments",
		body: map[string]string{"text": text}, out: &out})
	return out, err
}

// Respond asks for a playbook to run on an incident and returns the
// request as the API recorded it.
func (cl *Client) Respond(ctx context.Context, id, playbook string, params map[string]any) (json.RawMessage, error) {
	if params == nil {
		params = map[string]any{}
	}
	var out json.RawMessage
	_, err := cl.do(ctx, call{method: http.MethodPost, path: "/incidents/" + url.PathEscape(id) + "/respond",
		body: map[string]any{"playbook": playbook, "parameters": params}, out: &out})
	return out, err
}

// Post sends a webhook body as provider (POST /webhooks/{provider}) and
// returns the webhook result.
func (cl *Client) Post(ctx context.Context, provider string, body []byte) (json.RawMessage, error) {
	var out json.RawMessage
	_, err := cl.do(ctx, call{method: http.MethodPost, path: "/webhooks/" + url.PathEscape(provider), rawBody: body, out: &out})
	return out, err
}
