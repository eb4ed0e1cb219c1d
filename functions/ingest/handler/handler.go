// Package handler is the ingest function: it authenticates webhook callers,
// recognises each provider's format, normalises and validates alerts,
// applies suppression rules and stores every alert idempotently. It also
// takes GuardDuty and Security Hub findings delivered by an EventBridge
// rule.
//
// The handler is thin: it maps HTTP to Service.Ingest (normalise →
// suppress → store) and errors to statuses in one place (problem):
//
//	404 unknown provider or route      405 not POST
//	401 missing/bad credentials        403 token without ingest:<provider>
//	415 Content-Type not JSON          413 body over MaxBodyBytes
//	400 malformed JSON, more than MaxAlerts alerts, or no valid alert
//	202 the webhook result (accepted / duplicate / suppressed / rejected;
//	    rejected includes alerts over a field or size limit and alerts the
//	    table refuses, e.g. over DynamoDB's item size: never a 500)
//	500 storage failure (the request is idempotent: retry it)
//
// Callers never see internal error text, and no credential is logged.
package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/apigw"
	"github.com/muster-sec/muster/shared/auth"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/normalize"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/ssmparam"
)

// Handler serves POST /webhooks/{provider} and EventBridge deliveries.
type Handler struct {
	svc  *Service
	auth *auth.Authenticator
	now  func() time.Time
	log  *slog.Logger
}

// Options configure New. Alerts and Auth are required.
type Options struct {
	Alerts AlertStore
	Rules  RuleSource // nil: no suppression rules
	// Metrics receives the daily counters of new alerts; nil: none.
	Metrics Counters
	Auth    *auth.Authenticator
	Now     func() time.Time // nil: time.Now
	Logger  *slog.Logger     // nil: slog.Default() with component=ingest
}

// New builds a Handler from its adapters.
func New(o Options) (*Handler, error) {
	if o.Alerts == nil || o.Auth == nil {
		return nil, errors.New("ingest handler: Alerts and Auth are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default().With("component", "ingest")
	}
	return &Handler{
		svc:  &Service{Alerts: o.Alerts, Rules: o.Rules, Metrics: o.Metrics, Now: o.Now, Log: o.Logger},
		auth: o.Auth,
		now:  o.Now,
		log:  o.Logger,
	}, nil
}

// FromEnv wires the handler's adapters from the environment: the DynamoDB
// table MUSTER_TABLE (default "muster") for alerts and suppression rules,
// the alert retention MUSTER_ALERT_RETENTION_DAYS (default 90),
// and the authenticator (auth.FromEnv; MUSTER_AUTH_PARAM is read from SSM
// Parameter Store with decryption).
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	storeOpts, err := dynamostore.OptionsFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure store: %w", err)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), resources.TableFromEnv(getenv), storeOpts)
	authn, err := auth.FromEnv(ctx, getenv, ssmparam.Reader(cfg))
	if err != nil {
		return nil, fmt.Errorf("configure authentication: %w", err)
	}
	return New(Options{Alerts: store, Rules: store, Metrics: store, Auth: authn})
}

// provider extracts {provider} from the request: the path parameter, or
// the path /webhooks/<provider>. ok is false for any other route.
func provider(req events.APIGatewayProxyRequest) (string, bool) {
	if p, ok := req.PathParameters["provider"]; ok && p != "" {
		return p, true
	}
	rest, ok := strings.CutPrefix(req.Path, "/webhooks/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// jsonContentType accepts application/json and any +json type, with
// parameters.
func jsonContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// ServeAPI handles one API Gateway REST proxy request.
func (h *Handler) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	p, ok := provider(req)
	if !ok {
		return apigw.Problem(http.StatusNotFound, "", "no such route"), nil
	}
	if _, known := normalize.Lookup(p); !known {
		return apigw.Problem(http.StatusNotFound, "Unknown provider",
			fmt.Sprintf("provider must be one of %s", strings.Join(normalize.SourceNames(), ", "))), nil
	}
	if req.HTTPMethod != "" && req.HTTPMethod != http.MethodPost {
		resp := apigw.Problem(http.StatusMethodNotAllowed, "", "use POST")
		resp.Headers["Allow"] = http.MethodPost
		return resp, nil
	}
	body, err := apigw.Body(req)
	if err != nil {
		return apigw.Problem(http.StatusBadRequest, "Malformed body", "the body is not valid base64"), nil
	}
	principal, err := h.auth.Authenticate(auth.Request{
		Header:   func(name string) string { return apigw.Header(req, name) },
		Body:     body,
		Provider: p,
	}, h.now())
	if err != nil {
		h.log.InfoContext(ctx, "webhook rejected", "provider", p, "status", http.StatusUnauthorized, "reason", "authentication failed")
		resp := apigw.Problem(http.StatusUnauthorized, "", "a valid bearer token or webhook signature is required")
		resp.Headers["WWW-Authenticate"] = `Bearer realm="muster"`
		return resp, nil
	}
	if err := auth.Require(principal, "ingest:"+p); err != nil {
		h.log.InfoContext(ctx, "webhook rejected", "provider", p, "principal", principal.Name, "status", http.StatusForbidden)
		return apigw.Problem(http.StatusForbidden, "", fmt.Sprintf("the credential lacks scope ingest:%s", p)), nil
	}
	if !jsonContentType(apigw.Header(req, "Content-Type")) {
		return apigw.Problem(http.StatusUnsupportedMediaType, "", "Content-Type must be application/json"), nil
	}
	if len(body) > MaxBodyBytes {
		return apigw.ProblemWith(apigw.ProblemDetails{
			Status:     http.StatusRequestEntityTooLarge,
			Detail:     fmt.Sprintf("the body is %d bytes; the limit is %d bytes (1 MiB)", len(body), MaxBodyBytes),
			Extensions: map[string]any{"limit": MaxBodyBytes, "limitName": "maxBodyBytes"},
		}), nil
	}
	sum, err := h.svc.Ingest(ctx, p, body)
	if err != nil {
		return h.problem(ctx, p, err), nil
	}
	h.log.InfoContext(ctx, "webhook ingested", "provider", p, "principal", principal.Name,
		"accepted", sum.Accepted, "duplicates", sum.Duplicates, "suppressed", sum.Suppressed, "rejected", sum.Rejected)
	if !sum.Valid() {
		return apigw.ProblemWith(apigw.ProblemDetails{
			Status: http.StatusBadRequest, Title: "No valid alert",
			Detail: "every alert in the request was rejected; see results",
			Extensions: map[string]any{
				"accepted": sum.Accepted, "duplicates": sum.Duplicates, "suppressed": sum.Suppressed,
				"rejected": sum.Rejected, "results": sum.Results,
			},
		}), nil
	}
	return apigw.JSON(http.StatusAccepted, sum), nil
}

// problem maps a Service error to its response, the one place errors
// become statuses. Internal error text is logged, never sent.
func (h *Handler) problem(ctx context.Context, p string, err error) events.APIGatewayProxyResponse {
	switch {
	case errors.Is(err, normalize.ErrUnknownProvider):
		return apigw.Problem(http.StatusNotFound, "Unknown provider", "")
	case errors.Is(err, ErrTooManyAlerts):
		return apigw.ProblemWith(apigw.ProblemDetails{
			Status: http.StatusBadRequest, Title: "Too many alerts",
			Detail:     fmt.Sprintf("a request may carry at most %d alerts", MaxAlerts),
			Extensions: map[string]any{"limit": MaxAlerts, "limitName": "maxAlertsPerRequest"},
		})
	case errors.Is(err, normalize.ErrMalformed):
		// normalize's messages never quote the input: safe to send.
		return apigw.Problem(http.StatusBadRequest, "Malformed request", err.Error())
	}
	h.log.ErrorContext(ctx, "ingest failed", "provider", p, "error", err)
	return apigw.Problem(http.StatusInternalServerError, "", "the alerts could not be stored; retry the request (it is idempotent)")
}

// ErrUnsupportedEvent is returned by Invoke for an EventBridge event of a
// detail type ingest does not take (the event goes to the function's
// dead-letter destination rather than being dropped silently).
var ErrUnsupportedEvent = errors.New("unsupported event")

// Invoke is the Lambda entry point: it accepts an API Gateway proxy event or
// an EventBridge event and dispatches on its shape. EventBridge findings go
// through the same normalise → suppress → store path without HTTP
// authentication (the rule's invoke permission is the authorisation).
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		DetailType string          `json:"detail-type"`
		Source     string          `json:"source"`
		Detail     json.RawMessage `json:"detail"`
		HTTPMethod string          `json:"httpMethod"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrUnsupportedEvent)
	}
	if probe.DetailType == "" || len(probe.Detail) == 0 || probe.HTTPMethod != "" {
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, fmt.Errorf("%w: not an API Gateway proxy event", ErrUnsupportedEvent)
		}
		return h.ServeAPI(ctx, req)
	}
	src, ok := normalize.ByDetailType(probe.DetailType)
	if !ok {
		h.log.WarnContext(ctx, "unsupported EventBridge event", "detail_type", probe.DetailType, "source", probe.Source)
		return nil, fmt.Errorf("%w: detail-type %q", ErrUnsupportedEvent, probe.DetailType)
	}
	p := src.Name
	sum, err := h.svc.Ingest(ctx, p, raw)
	if err != nil {
		if isClientError(err) {
			// Retrying cannot fix a bad event, but dropping it would lose
			// it: fail the invocation, so that after Lambda's asynchronous
			// retries the whole event lands in ingest's dead-letter queue.
			h.log.WarnContext(ctx, "EventBridge event rejected", "provider", p, "error", err)
			return nil, fmt.Errorf("%w: %v", ErrRejectedEvent, err)
		}
		return nil, err // storage failure: Lambda retries, then the DLQ
	}
	for _, r := range sum.Results {
		if r.Error != nil {
			h.log.WarnContext(ctx, "EventBridge finding rejected", "provider", p, "index", r.Index, "field", r.Error.Field, "reason", r.Error.Reason)
		}
	}
	h.log.InfoContext(ctx, "EventBridge findings ingested", "provider", p,
		"accepted", sum.Accepted, "duplicates", sum.Duplicates, "suppressed", sum.Suppressed, "rejected", sum.Rejected)
	if sum.Rejected > 0 {
		// The findings that were stored stay stored (a retry finds them as
		// duplicates); the event, rejected findings included, goes to the
		// dead-letter queue after the retries.
		return sum, fmt.Errorf("%w: %d of %d findings rejected", ErrRejectedEvent, sum.Rejected, len(sum.Results))
	}
	return sum, nil
}

// ErrRejectedEvent is returned by Invoke for an EventBridge event that is
// malformed or holds findings ingest rejects: the invocation fails so that
// Lambda's asynchronous retries end with the event in ingest's dead-letter
// queue, where nothing is lost (rather than logged and dropped).
var ErrRejectedEvent = errors.New("EventBridge event rejected")
