// Package handler is the query function: Muster's REST API for bots,
// analysts and the console (docs/api.md; the OpenAPI document is
// openapi.json, served at GET /openapi.json).
//
// ServeAPI is a thin router over API Gateway REST proxy events: it matches
// the method and path against one route table (routes.go), authenticates
// the caller and checks the route's scope (read for GETs, write for
// changes), and calls one handler method. Errors map to problem+json in one
// place (problem in errors.go) with errors.Is; internal error text is
// logged, never sent.
package handler

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/muster-sec/muster/functions/query/console"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incident"
	"github.com/muster-sec/muster/shared/listing"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
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
	SimulateRule(ctx context.Context, r suppress.Rule, since time.Time) (dynamostore.Simulation, error)
	// NoisyKeys lists the correlation keys that turned noisy since the
	// given time, newest first, at most limit (correlate.Store.NoisyKeys).
	NoisyKeys(ctx context.Context, since time.Time, limit int) ([]correlate.NoisyKey, error)
}

var _ Store = (*dynamostore.Store)(nil)

// Environment variables read by FromEnv (besides auth's and playbook's).
const (
	EnvTable     = "MUSTER_TABLE"
	EnvCursorKey = "MUSTER_CURSOR_KEY"
	EnvAPIURL    = "MUSTER_API_URL"
)

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
}

// New returns a Handler from o.
func New(o Options) *Handler {
	h := &Handler{store: o.Store, auth: o.Auth, playbooks: o.Playbooks, cursorKey: o.CursorKey,
		now: o.Now, apiURL: strings.TrimRight(o.APIURL, "/"), log: o.Logger, corsOrigins: o.CORSOrigins}
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
	return h
}

// FromEnv wires the handler's adapters from the environment: the table
// (MUSTER_TABLE, default "muster"), the authenticator (auth.FromEnv, with
// SSM Parameter Store for MUSTER_AUTH_PARAM), the cursor key
// (MUSTER_CURSOR_KEY; random per process when unset, so set it wherever
// more than one instance serves the API), the playbook registry
// (playbook.FromEnv) and the public base URL (MUSTER_API_URL).
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	table := getenv(EnvTable)
	if table == "" {
		table = resources.DefaultTableName
	}
	storeOpts, err := dynamostore.OptionsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure store: %w", err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), table, storeOpts)
	params := ssm.NewFromConfig(cfg)
	fetch := func(ctx context.Context, name string) (string, error) {
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	authn, err := auth.FromEnv(ctx, getenv, fetch)
	if err != nil {
		return nil, fmt.Errorf("configure auth: %w", err)
	}
	pb, err := playbook.FromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure playbooks: %w", err)
	}
	logger := slog.Default()
	if getenv(EnvCursorKey) == "" {
		logger.Warn("no cursor key configured; list cursors are valid only within this process", "component", "query", "env", EnvCursorKey)
	}
	return New(Options{Store: store, Auth: authn, Playbooks: pb, CursorKey: []byte(getenv(EnvCursorKey)),
		APIURL: getenv(EnvAPIURL), Logger: logger, CORSOrigins: splitList(getenv(EnvCORSOrigins))}), nil
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

// withCORS adds the CORS response headers when the request's Origin is one
// of the configured origins (API Gateway answers the preflight requests).
func (h *Handler) withCORS(req events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	origin := apigw.Header(req, "Origin")
	if origin == "" || !slices.Contains(h.corsOrigins, origin) {
		return resp
	}
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers["Access-Control-Allow-Origin"] = origin
	resp.Headers["Access-Control-Expose-Headers"] = "ETag, Location"
	resp.Headers["Vary"] = "Origin"
	return resp
}

// request is one routed request.
type request struct {
	events.APIGatewayProxyRequest
	params    map[string]string
	principal auth.Principal
}

// ServeAPI handles one API Gateway REST proxy request.
func (h *Handler) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	resp, err := h.serve(ctx, req)
	return h.withCORS(req, resp), err
}

func (h *Handler) serve(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	path := req.Path
	if len(path) > 1 {
		path = strings.TrimRight(path, "/")
	}
	if (req.HTTPMethod == http.MethodGet || req.HTTPMethod == http.MethodHead) && (path == "/" || strings.HasPrefix(path, "/assets/")) {
		if resp, ok := console.Serve(path); ok {
			return resp, nil
		}
	}
	rt, params, allowed := match(req.HTTPMethod, path)
	if rt == nil {
		if len(allowed) > 0 {
			resp := h.problem(errMethod)
			resp.Headers["Allow"] = strings.Join(allowed, ", ")
			return resp, nil
		}
		return h.problem(errRoute), nil
	}
	r := &request{APIGatewayProxyRequest: req, params: params}
	if rt.scope != "" {
		body, _ := apigw.Body(req)
		p, err := h.auth.Authenticate(auth.Request{Header: func(n string) string { return apigw.Header(req, n) }, Body: body}, h.now())
		if err == nil {
			err = auth.Require(p, rt.scope)
		}
		if err != nil {
			return h.problem(err), nil
		}
		r.principal = p
	}
	if !rt.query && (len(req.QueryStringParameters) > 0 || len(req.MultiValueQueryStringParameters) > 0) {
		return h.problem(badRequest("this resource takes no query parameters")), nil
	}
	resp, err := rt.serve(h, ctx, r)
	if err != nil {
		return h.problem(err), nil
	}
	return resp, nil
}

// decodeBody decodes a JSON request body into v, rejecting unknown fields,
// trailing data, non-JSON content types and bodies over maxBody.
func decodeBody(r *request, v any) error {
	if ct := apigw.Header(r.APIGatewayProxyRequest, "Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return errMediaType
	}
	b, err := apigw.Body(r.APIGatewayProxyRequest)
	if err != nil {
		return badRequest("the body is not valid base64")
	}
	if len(b) > maxBody {
		return errTooLarge
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("a JSON body is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not valid JSON for this request: " + jsonReason(err))
	}
	if dec.More() {
		return badRequest("the body has data after the JSON value")
	}
	return nil
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

func (h *Handler) json(status int, v any) events.APIGatewayProxyResponse {
	return apigw.JSON(status, v)
}
