// Package apigwlocal serves Muster's REST API locally the way API Gateway
// (REST API, Lambda proxy integration) serves it in AWS: each HTTP request
// becomes an events.APIGatewayProxyRequest for the same handler code the
// Lambda functions run, and the handler's events.APIGatewayProxyResponse
// becomes the HTTP response.
//
// What it reproduces from API Gateway:
//   - headers and query strings in both the single-value maps (last value
//     wins) and the multi-value maps; nil maps when there are none;
//   - the body as text when it is valid UTF-8, otherwise base64 with
//     IsBase64Encoded set (as with a binary media type of */*);
//   - the route /webhooks/{provider} with its path parameter, every other
//     path as the greedy /{proxy+} resource;
//   - a request context with a fresh request id, stage "local", the source
//     IP and the user agent, and the X-Forwarded-For / X-Forwarded-Proto
//     headers;
//   - the 10 MB payload limit (413 before the handler runs) and the 29 s
//     integration timeout;
//   - a handler error or a response without a status code becomes 502, as
//     a failed Lambda integration does; internal error text is logged, never
//     sent to the caller.
package apigwlocal

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/apigw"
)

// Limits API Gateway enforces before the integration runs.
const (
	MaxBodyBytes       = 10 << 20
	IntegrationTimeout = 29 * time.Second
	Stage              = "local"
)

// Resource names of the two integrations.
const (
	ResourceWebhook = "/webhooks/{provider}"
	ResourceProxy   = "/{proxy+}"
	ResourceRoot    = "/"
)

// APIHandler is a Lambda function behind an API Gateway proxy integration.
type APIHandler interface {
	ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

// HandlerFunc adapts a function to APIHandler.
type HandlerFunc func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// ServeAPI calls f.
func (f HandlerFunc) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return f(ctx, req)
}

// Gateway routes HTTP requests to the ingest and query integrations.
type Gateway struct {
	// Ingest serves /webhooks/{provider}.
	Ingest APIHandler
	// Query serves every other path.
	Query APIHandler
	// Logger receives one line per request; slog.Default when nil.
	Logger *slog.Logger
	// Now is the clock for requestTimeEpoch; time.Now when nil.
	Now func() time.Time
	// MaxBody overrides MaxBodyBytes when positive (tests).
	MaxBody int64
}

var _ http.Handler = (*Gateway)(nil)

// ServeHTTP converts, invokes and converts back.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	limit := int64(MaxBodyBytes)
	if g.MaxBody > 0 {
		limit = g.MaxBody
	}
	reqID := newRequestID()
	start := now()
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		log.Warn("read request body", "request_id", reqID, "error", err)
		writeResponse(w, apigw.Problem(http.StatusBadRequest, "Bad request", "the request body could not be read"))
		return
	}
	if int64(len(body)) > limit {
		log.Info("request too large", "request_id", reqID, "path", r.URL.Path, "limit_bytes", limit)
		writeResponse(w, apigw.ProblemWith(apigw.ProblemDetails{
			Status: http.StatusRequestEntityTooLarge, Title: "Request too large",
			Detail:     fmt.Sprintf("the request body exceeds the API Gateway limit of %d bytes", limit),
			Extensions: map[string]any{"limit": limit},
		}))
		return
	}
	req := ToRequest(r, body, reqID, start)
	target, name := g.Query, "query"
	if req.Resource == ResourceWebhook {
		target, name = g.Ingest, "ingest"
	}
	if target == nil {
		writeResponse(w, apigw.Problem(http.StatusNotFound, "Not found", "no integration serves this path"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), IntegrationTimeout)
	defer cancel()
	resp, err := invoke(ctx, target, req)
	switch {
	case err != nil:
		log.Error("integration failed", "request_id", reqID, "function", name, "error", err)
		resp = apigw.Problem(http.StatusBadGateway, "Internal server error", "the function failed; see the local runner's log")
	case resp.StatusCode < 100 || resp.StatusCode > 599:
		log.Error("malformed proxy response", "request_id", reqID, "function", name, "status", resp.StatusCode)
		resp = apigw.Problem(http.StatusBadGateway, "Malformed Lambda proxy response", "the function returned no valid status code")
	}
	if err := writeResponse(w, resp); err != nil {
		log.Error("write response", "request_id", reqID, "function", name, "error", err)
	}
	log.Info("request", "request_id", reqID, "function", name, "method", r.Method, "path", r.URL.Path,
		"status", resp.StatusCode, "duration_ms", now().Sub(start).Milliseconds())
}

// invoke calls h, turning a panic into an error as the Lambda runtime does.
func invoke(ctx context.Context, h APIHandler, req events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return h.ServeAPI(ctx, req)
}

// ToRequest converts an HTTP request whose body has been read into an API
// Gateway REST proxy event.
func ToRequest(r *http.Request, body []byte, requestID string, at time.Time) events.APIGatewayProxyRequest {
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	req := events.APIGatewayProxyRequest{
		Path:       path,
		HTTPMethod: r.Method,
	}
	req.Resource, req.PathParameters = route(path)
	req.Headers, req.MultiValueHeaders = headers(r)
	req.QueryStringParameters, req.MultiValueQueryStringParameters = queries(r)
	if utf8.Valid(body) {
		req.Body = string(body)
	} else {
		req.Body = base64.StdEncoding.EncodeToString(body)
		req.IsBase64Encoded = true
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	forwarded(&req, sourceIP)
	req.RequestContext = events.APIGatewayProxyRequestContext{
		AccountID:        "000000000000",
		ResourceID:       "local",
		Stage:            Stage,
		RequestID:        requestID,
		ResourcePath:     req.Resource,
		HTTPMethod:       r.Method,
		Path:             "/" + Stage + path,
		Protocol:         r.Proto,
		APIID:            "local",
		RequestTime:      at.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		RequestTimeEpoch: at.UnixMilli(),
		Identity: events.APIGatewayRequestIdentity{
			SourceIP:  sourceIP,
			UserAgent: r.UserAgent(),
		},
	}
	return req
}

// route maps a path to its API Gateway resource and path parameters.
func route(path string) (string, map[string]string) {
	if rest, ok := strings.CutPrefix(path, "/webhooks/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return ResourceWebhook, map[string]string{"provider": rest}
	}
	if path == "/" {
		return ResourceRoot, nil
	}
	return ResourceProxy, map[string]string{"proxy": strings.TrimPrefix(path, "/")}
}

func headers(r *http.Request) (map[string]string, map[string][]string) {
	if len(r.Header) == 0 && r.Host == "" {
		return nil, nil
	}
	single := make(map[string]string, len(r.Header)+1)
	multi := make(map[string][]string, len(r.Header)+1)
	for k, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		single[k] = vs[len(vs)-1]
		multi[k] = append([]string(nil), vs...)
	}
	// Go moves Host out of the header map; API Gateway keeps it.
	if r.Host != "" {
		single["Host"] = r.Host
		multi["Host"] = []string{r.Host}
	}
	return single, multi
}

// forwarded adds the X-Forwarded-For (the client appended, as API Gateway
// does) and X-Forwarded-Proto headers.
func forwarded(req *events.APIGatewayProxyRequest, sourceIP string) {
	if req.Headers == nil {
		req.Headers, req.MultiValueHeaders = map[string]string{}, map[string][]string{}
	}
	xff := sourceIP
	if prev := req.Headers["X-Forwarded-For"]; prev != "" {
		xff = prev + ", " + sourceIP
	}
	req.Headers["X-Forwarded-For"], req.MultiValueHeaders["X-Forwarded-For"] = xff, []string{xff}
	if req.Headers["X-Forwarded-Proto"] == "" {
		req.Headers["X-Forwarded-Proto"], req.MultiValueHeaders["X-Forwarded-Proto"] = "http", []string{"http"}
	}
}

func queries(r *http.Request) (map[string]string, map[string][]string) {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil, nil
	}
	single := make(map[string]string, len(q))
	multi := make(map[string][]string, len(q))
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		single[k] = vs[len(vs)-1]
		multi[k] = append([]string(nil), vs...)
	}
	return single, multi
}

// ErrBadBody reports a response body marked base64 that does not decode.
var ErrBadBody = errors.New("response body is not valid base64")

// writeResponse writes a proxy response as HTTP: multi-value headers first,
// then single-value headers not already present (API Gateway merges both),
// and the body, decoded when IsBase64Encoded.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse) error {
	body, hdr, err := FromResponse(resp)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Malformed Lambda proxy response","status":502}`)
		hdr = http.Header{"Content-Type": {"application/problem+json"}}
		resp.StatusCode = http.StatusBadGateway
	}
	for k, vs := range hdr {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if _, werr := w.Write(body); werr != nil {
		return fmt.Errorf("write body: %w", werr)
	}
	return err
}

// FromResponse returns the body bytes and the merged headers of a proxy
// response.
func FromResponse(resp events.APIGatewayProxyResponse) ([]byte, http.Header, error) {
	hdr := http.Header{}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			hdr.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if _, ok := hdr[http.CanonicalHeaderKey(k)]; !ok {
			hdr.Set(k, v)
		}
	}
	if !resp.IsBase64Encoded {
		return []byte(resp.Body), hdr, nil
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		return nil, nil, ErrBadBody
	}
	return b, hdr, nil
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
