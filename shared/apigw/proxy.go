package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Serve runs an http.Handler for one API Gateway REST proxy event: the
// event becomes an *http.Request, and what the handler writes becomes the
// proxy response. It is the whole Lambda side of a handler written for
// net/http; a path that is not valid percent-encoding is a 404 problem
// before the handler runs (not cached, not sniffed).
func Serve(ctx context.Context, h http.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	r, err := Request(ctx, req)
	if err != nil {
		resp := Problem(http.StatusNotFound, "", "no such resource")
		resp.Headers["Cache-Control"], resp.Headers["X-Content-Type-Options"] = "no-store", "nosniff"
		return resp
	}
	rec := NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Response()
}

// ErrBadBase64 is what reading the body of a request returns when API
// Gateway marked the body base64 and it is not.
var ErrBadBase64 = errors.New("the body is not valid base64")

// Request converts a REST proxy event into an *http.Request:
//   - the path as sent (percent-encoded segments decode into the
//     wildcards of a ServeMux pattern, as over HTTP);
//   - the query from the multi-value map, plus single values of names it
//     lacks;
//   - the headers from the single-value map (API Gateway's last value),
//     plus multi-value headers it lacks, and Host;
//   - the body, decoded while it is read when IsBase64Encoded (a bad
//     encoding is a read error wrapping ErrBadBase64);
//   - the source IP as RemoteAddr.
func Request(ctx context.Context, req events.APIGatewayProxyRequest) (*http.Request, error) {
	raw := req.Path
	if raw == "" {
		raw = "/"
	}
	path, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", raw, err)
	}
	u := &url.URL{Path: path, RawQuery: query(req).Encode()}
	if path != raw {
		u.RawPath = raw
	}
	var body io.Reader = strings.NewReader(req.Body)
	length := int64(len(req.Body))
	if req.IsBase64Encoded {
		body, length = base64Body{base64.NewDecoder(base64.StdEncoding, body)}, -1
	}
	r, err := http.NewRequestWithContext(ctx, req.HTTPMethod, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("request %s %q: %w", req.HTTPMethod, raw, err)
	}
	r.URL, r.ContentLength = u, length
	r.Header = header(req)
	r.Host = r.Header.Get("Host")
	r.RemoteAddr = req.RequestContext.Identity.SourceIP
	return r, nil
}

func query(req events.APIGatewayProxyRequest) url.Values {
	q := url.Values{}
	for k, vs := range req.MultiValueQueryStringParameters {
		q[k] = append(q[k], vs...)
	}
	for k, v := range req.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q[k] = []string{v}
		}
	}
	return q
}

func header(req events.APIGatewayProxyRequest) http.Header {
	h := http.Header{}
	for k, v := range req.Headers {
		h.Set(k, v)
	}
	for k, vs := range req.MultiValueHeaders {
		if _, ok := h[http.CanonicalHeaderKey(k)]; !ok {
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	}
	return h
}

// base64Body decodes while it is read and names a bad encoding.
type base64Body struct{ r io.Reader }

func (b base64Body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrBadBase64, err)
	}
	return n, err
}

// Recorder is an http.ResponseWriter that keeps what a handler writes, for
// Response.
type Recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: http.Header{}} }

// Header returns the response headers to set before WriteHeader.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader records the status; later calls are ignored, as net/http
// does.
func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// Write appends to the body, sending 200 first when no status was written.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Response returns what was written as a proxy response: a header with one
// value in Headers (under the name the handler used), one with several in
// MultiValueHeaders; a body that is not UTF-8 base64-encoded.
func (r *Recorder) Response() events.APIGatewayProxyResponse {
	resp := events.APIGatewayProxyResponse{StatusCode: r.status, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, vs := range r.header {
		switch {
		case len(vs) == 1:
			resp.Headers[k] = vs[0]
		case len(vs) > 1:
			if resp.MultiValueHeaders == nil {
				resp.MultiValueHeaders = map[string][]string{}
			}
			resp.MultiValueHeaders[k] = vs
		}
	}
	if b := r.body.Bytes(); utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return resp
}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	write(w, JSON(status, v))
}

// WriteProblem writes p as a problem+json response.
func WriteProblem(w http.ResponseWriter, p ProblemDetails) {
	write(w, ProblemWith(p))
}

func write(w http.ResponseWriter, resp events.APIGatewayProxyResponse) {
	for k, v := range resp.Headers {
		w.Header()[k] = []string{v}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}
