// Package handler is the query function: Muster's REST API for bots,
// analysts and the console (docs/api.md). Its contract and route table is
// the OpenAPI document of package openapi, served at GET /openapi.json.
//
// Handler is an http.Handler built on net/http.ServeMux: New registers one
// pattern per operation of the document ("GET /incidents/{id}"), each
// behind operation (routes.go), which authenticates the caller, checks the
// scope the document gives the operation, refuses query parameters where
// the document declares none, calls the endpoint and writes its reply.
// Errors map to problem+json in one place (writeError in errors.go) with
// errors.Is; internal error text is logged, never sent. ServeAPI runs the
// same handler for API Gateway REST proxy events (apigw.Serve).
//
// The Slack app's two operations (chatops.go) are authenticated by Slack's
// request signature instead of a bearer token (the document's
// slackSignature scheme); the bot behind them (package chatops) calls this
// same API in process, as the Muster principal the Slack user maps to.
package handler

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	pathpkg "path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/query/console"
	"github.com/muster-sec/muster/functions/query/openapi"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/automation"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/silence"
	"github.com/muster-sec/muster/shared/ssmparam"
	"github.com/muster-sec/muster/shared/suppress"
)

// Store is the storage the API needs (dynamostore.Store implements it).
type Store interface {
	ListAlerts(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error)
	ListIncidents(ctx context.Context, f listing.Filter, limit int, after string) (listing.Page, error)
	GetAlert(ctx context.Context, id string) (alert.Alert, error)
	GetIncident(ctx context.Context, id string) (incident.Incident, error)
	IncidentMembers(ctx context.Context, id string) ([]incident.Membership, error)
	PatchIncident(ctx context.Context, id string, version int64, change func(*incident.Incident) ([]incident.TimelineEntry, error)) (incident.Incident, error)
	AddComment(ctx context.Context, id string, c incident.Comment) (incident.Comment, error)
	AddTimeline(ctx context.Context, id string, e incident.TimelineEntry) error
	Comments(ctx context.Context, id string) ([]incident.Comment, error)
	Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error)
	AddResponseRequest(ctx context.Context, r incident.ResponseRequest) (incident.ResponseRequest, error)
	ResponseRequests(ctx context.Context, id string) ([]incident.ResponseRequest, error)
	CreateRule(ctx context.Context, r suppress.Rule) (suppress.Rule, error)
	GetRule(ctx context.Context, id string) (suppress.Rule, error)
	ListRules(ctx context.Context) ([]suppress.Rule, error)
	UpdateRule(ctx context.Context, id string, version int64, change func(*suppress.Rule) error) (suppress.Rule, error)
	DeleteRule(ctx context.Context, id string) error
	DismissAlerts(ctx context.Context, ids []string, ruleID string) (int, error)
	SetAlertStatus(ctx context.Context, ids []string, st alert.Status) (int, error)
	SimulateRule(ctx context.Context, r suppress.Rule, since time.Time) (dynamostore.Simulation, error)
	ReportResponse(ctx context.Context, id, requestID string, report func(*incident.ResponseRequest) error) (incident.ResponseRequest, error)
	CreateAutomationRule(ctx context.Context, r automation.Rule) (automation.Rule, error)
	GetAutomationRule(ctx context.Context, id string) (automation.Rule, error)
	ListAutomationRules(ctx context.Context) ([]automation.Rule, error)
	UpdateAutomationRule(ctx context.Context, id string, version int64, change func(*automation.Rule) error) (automation.Rule, error)
	DeleteAutomationRule(ctx context.Context, id string) error
	// NoisyKeys lists the correlation keys that turned noisy since the
	// given time, newest first, at most limit (correlate.Store.NoisyKeys).
	NoisyKeys(ctx context.Context, since time.Time, limit int) ([]correlate.NoisyKey, error)
	// The correlation state, for analysts' corrections, and the candidates
	// (linked groups below the incident threshold).
	correlate.Store
	ListCandidates(ctx context.Context, since time.Time, limit int) ([]incident.Incident, error)
	// KeyHistory lists one correlation key's key-days between two days,
	// newest first (one Query on the key's partition), and LoadGroups the
	// groups (incidents and their correlation state) among ids: what the
	// investigation endpoints read.
	KeyHistory(ctx context.Context, key alert.Key, from, to string, limit int) ([]*correlate.KeyDay, error)
	// MetricDays reads the daily metric counters of a span of days.
	MetricDays(ctx context.Context, from, to string) ([]metrics.Day, error)
}

var _ Store = (*dynamostore.Store)(nil)

// Environment variables read by FromEnv (besides auth's and playbook's).
const (
	EnvCursorKey  = "MUSTER_CURSOR_KEY"
	EnvAPIURL     = "MUSTER_API_URL"
	EnvReportWait = "MUSTER_RESPONSE_REPORT_WAIT"
)

// DefaultReportWait is how long a response request may go without a
// playbook's report before it shows as NoReport.
const DefaultReportWait = time.Hour

// Options configure a Handler. Store and Auth are required.
type Options struct {
	Store     Store
	Auth      *auth.Authenticator
	Playbooks *playbook.Registry // playbook.Default() when nil
	// CursorKey signs list cursors; a random key when empty (cursors then
	// stop working when the process ends).
	CursorKey []byte
	Now       func() time.Time // time.Now when nil
	APIURL    string           // public base URL for links; http://127.0.0.1:8080 when empty
	Logger    *slog.Logger     // slog.Default() when nil
	// CORSOrigins are the browser origins allowed to read responses; none
	// by default (the console is served same-origin).
	CORSOrigins []string
	// Correlation is the correlator's configuration, which corrections
	// follow too (the cap, the thresholds); the defaults when zero.
	Correlation correlate.Config
	// Slack configures the Slack app (POST /chatops/slack/…).
	Slack SlackOptions
	// ReportWait is how long a response request may go without a report
	// before it shows as NoReport; 0 never shows it (MUSTER_RESPONSE_REPORT_WAIT).
	ReportWait time.Duration
	// Silencer writes suppression rules made from Alertmanager alerts back
	// as silences; none when nil (silence.FromEnv).
	Silencer Silencer
}

// Handler serves the REST API.
type Handler struct {
	store       Store
	auth        *auth.Authenticator
	playbooks   *playbook.Registry
	cursorKey   []byte
	now         func() time.Time
	apiURL      string
	log         *slog.Logger
	corsOrigins []string
	reportWait  time.Duration
	mux         *http.ServeMux // one pattern per operation of openapi.json
	patterns    []string
	corrections *correlate.Service
	bot         *chatops.Bot
	slackSecret []byte
	slackBudget time.Duration
	silencer    Silencer
}

// New returns a Handler from o.
func New(o Options) *Handler {
	h := &Handler{store: o.Store, auth: o.Auth, playbooks: o.Playbooks, cursorKey: o.CursorKey,
		now: o.Now, apiURL: strings.TrimRight(o.APIURL, "/"), log: o.Logger, corsOrigins: o.CORSOrigins,
		reportWait: o.ReportWait, silencer: o.Silencer}
	if h.playbooks == nil {
		h.playbooks = playbook.Default()
	}
	if len(h.cursorKey) == 0 {
		h.cursorKey = make([]byte, 32)
		_, _ = rand.Read(h.cursorKey)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.apiURL == "" {
		h.apiURL = "http://127.0.0.1:8080"
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = h.log.With("component", "query")
	e, err := correlate.New(o.Correlation)
	if err != nil {
		h.log.Error("invalid correlation configuration; using the defaults", "error", err.Error())
		e, _ = correlate.New(correlate.DefaultConfig())
	}
	h.corrections = correlate.NewService(e, o.Store, correlate.ServiceOptions{Now: h.now, Logger: h.log})
	h.bot = h.newBot(o.Slack)
	h.mux, h.patterns = h.routes(openapi.Operations())
	return h
}

// FromEnv wires the handler's adapters from the environment: the table
// (MUSTER_TABLE, default "muster"), the authenticator (auth.FromEnv, with
// SSM Parameter Store for MUSTER_AUTH_PARAM), the cursor key
// (MUSTER_CURSOR_KEY; random per process when unset, so set it wherever
// more than one instance serves the API), the playbook registry
// (playbook.FromEnv), the public base URL (MUSTER_API_URL), the Slack
// app (slackFromEnv) and Alertmanager silence write-back (silence.FromEnv).
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	storeOpts, err := dynamostore.OptionsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure store: %w", err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), resources.TableFromEnv(getenv), storeOpts)
	fetch := ssmparam.Reader(cfg)
	authn, err := auth.FromEnv(ctx, getenv, fetch)
	if err != nil {
		return nil, fmt.Errorf("configure auth: %w", err)
	}
	pb, err := playbook.FromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure playbooks: %w", err)
	}
	slackOpts, err := slackFromEnv(ctx, getenv, fetch)
	if err != nil {
		return nil, fmt.Errorf("configure slack: %w", err)
	}
	wait := DefaultReportWait
	if v := getenv(EnvReportWait); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			return nil, fmt.Errorf("%s %q: want a duration such as 30m or 2h (0 turns NoReport off)", EnvReportWait, v)
		}
	}
	logger := slog.Default()
	if getenv(EnvCursorKey) == "" {
		logger.Warn("no cursor key configured; list cursors are valid only within this process", "component", "query", "env", EnvCursorKey)
	}
	ccfg, err := correlate.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	o := Options{Store: store, Auth: authn, Playbooks: pb, CursorKey: []byte(getenv(EnvCursorKey)),
		APIURL: getenv(EnvAPIURL), Logger: logger, CORSOrigins: splitList(getenv(EnvCORSOrigins)),
		Correlation: ccfg, Slack: slackOpts, ReportWait: wait}
	if c, ok := silence.FromEnv(getenv); ok {
		o.Silencer = c
	}
	return New(o), nil
}

// EnvCORSOrigins lists the origins (comma-separated) allowed to call the API
// from a browser on another origin; unset means no CORS headers at all.
const EnvCORSOrigins = "MUSTER_CORS_ORIGINS"

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cors adds the CORS response headers when the request's Origin is one of
// the configured origins (API Gateway answers the preflight requests).
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(h.corsOrigins, origin) {
		return
	}
	w.Header()["Access-Control-Allow-Origin"] = []string{origin}
	w.Header()["Access-Control-Expose-Headers"] = []string{"ETag, Location"}
	w.Header()["Vary"] = []string{"Origin"}
}

// request is one routed request and its authenticated caller.
type request struct {
	*http.Request
	principal auth.Principal
	body      []byte // read by readBody, at most maxBody+1 bytes
	bodyErr   error
	bodyRead  bool
}

// ServeAPI handles one API Gateway REST proxy request: the Lambda entry
// point, the same API as ServeHTTP.
func (h *Handler) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return apigw.Serve(ctx, h, req), nil
}

// ServeHTTP serves the API: the console's static files for GET and HEAD of
// / and /assets/…, else the operation the router matches (a trailing slash
// is ignored), else a 404 or 405 problem. Every API answer, errors
// included, carries apiHeaders.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.cors(w, r)
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r = withPath(r, strings.TrimRight(p, "/"))
	}
	path := r.URL.Path
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && (path == "/" || strings.HasPrefix(path, "/assets/")) {
		if resp, ok := console.Serve(path); ok {
			writeEvent(w, resp)
			return
		}
	}
	for k, v := range apiHeaders {
		w.Header()[k] = []string{v}
	}
	if pathpkg.Clean(path) != path {
		// ServeMux would redirect to the clean path; an API client gets
		// no redirects.
		h.writeError(w, errRoute)
		return
	}
	if next, pattern := h.mux.Handler(r); pattern == "" {
		h.unrouted(w, r, next)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// apiHeaders go on every API answer: its data is per caller and changes,
// so no cache keeps it, and no browser second-guesses its content type.
// (The console's files carry their own caching and security headers.)
var apiHeaders = map[string]string{
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
}

// withPath returns r for another path, escaped like the original.
func withPath(r *http.Request, path string) *http.Request {
	r2 := r.Clone(r.Context())
	u := *r.URL
	u.Path, u.RawPath = path, strings.TrimRight(r.URL.RawPath, "/")
	r2.URL = &u
	return r2
}

// writeEvent writes a response built as a proxy response (the console's).
func writeEvent(w http.ResponseWriter, resp events.APIGatewayProxyResponse) {
	for k, v := range resp.Headers {
		w.Header()[k] = []string{v}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write([]byte(resp.Body))
}

// decodeBody decodes a JSON request body into v, rejecting unknown fields,
// trailing data, non-JSON content types and bodies over maxBody.
func decodeBody(r *request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return errMediaType
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not valid JSON for this request: " + jsonReason(err))
	}
	if dec.More() {
		return badRequest("the body has data after the JSON value")
	}
	return nil
}

// readBody reads the request body once, at most maxBody bytes.
func readBody(r *request) ([]byte, error) {
	if !r.bodyRead {
		r.bodyRead = true
		r.body, r.bodyErr = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	switch {
	case errors.Is(r.bodyErr, apigw.ErrBadBase64):
		return nil, badRequest("the body is not valid base64")
	case r.bodyErr != nil:
		return nil, badRequest("the body could not be read")
	case len(r.body) > maxBody:
		return nil, errTooLarge
	}
	return r.body, nil
}

// maxBody bounds request bodies of this API.
const maxBody = 64 << 10

// jsonReason describes a decoding error without quoting the input.
func jsonReason(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case asErr(err, &ute):
		if ute.Field != "" {
			return fmt.Sprintf("field %s has the wrong type", ute.Field)
		}
		return "wrong type"
	case asErr(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed"
}
