package apigwlocal

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// recorder is a fake function that keeps the request and answers resp.
type recorder struct {
	got  events.APIGatewayProxyRequest
	n    int
	resp events.APIGatewayProxyResponse
	err  error
}

func (r *recorder) ServeAPI(_ context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	r.got, r.n = req, r.n+1
	return r.resp, r.err
}

func TestToRequest(t *testing.T) {
	binary := []byte{0xff, 0xfe, 0x00, 0x01}
	tests := []struct {
		name       string
		method     string
		target     string
		body       []byte
		header     http.Header
		resource   string
		pathParams map[string]string
		query      map[string]string
		multiQuery map[string][]string
		wantBody   string
		base64     bool
	}{
		{
			name: "webhook with text body", method: "POST", target: "/webhooks/generic", body: []byte(`{"id":"a"}`),
			header:   http.Header{"Content-Type": {"application/json"}},
			resource: ResourceWebhook, pathParams: map[string]string{"provider": "generic"}, wantBody: `{"id":"a"}`,
		},
		{
			name: "binary body is base64", method: "POST", target: "/webhooks/falco", body: binary,
			resource: ResourceWebhook, pathParams: map[string]string{"provider": "falco"},
			wantBody: base64.StdEncoding.EncodeToString(binary), base64: true,
		},
		{
			name: "multi-value query", method: "GET", target: "/incidents?severity=High&severity=Critical&limit=5",
			resource: ResourceProxy, pathParams: map[string]string{"proxy": "incidents"},
			query:      map[string]string{"severity": "Critical", "limit": "5"},
			multiQuery: map[string][]string{"severity": {"High", "Critical"}, "limit": {"5"}},
		},
		{
			name: "nested path goes to the proxy", method: "GET", target: "/incidents/abc/alerts",
			resource: ResourceProxy, pathParams: map[string]string{"proxy": "incidents/abc/alerts"},
		},
		{
			name: "webhooks without provider goes to the proxy", method: "POST", target: "/webhooks/",
			resource: ResourceProxy, pathParams: map[string]string{"proxy": "webhooks/"},
		},
		{
			name: "webhooks with two segments goes to the proxy", method: "POST", target: "/webhooks/a/b",
			resource: ResourceProxy, pathParams: map[string]string{"proxy": "webhooks/a/b"},
		},
		{name: "root", method: "GET", target: "/", resource: ResourceRoot},
	}
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, bytes.NewReader(tt.body))
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			r.Header.Add("X-Multi", "one")
			r.Header.Add("X-Multi", "two")
			req := ToRequest(r, tt.body, "req-1", at)
			if req.HTTPMethod != tt.method || req.Resource != tt.resource {
				t.Errorf("method/resource = %s %s, want %s %s", req.HTTPMethod, req.Resource, tt.method, tt.resource)
			}
			if !reflect.DeepEqual(req.PathParameters, tt.pathParams) {
				t.Errorf("path parameters = %v, want %v", req.PathParameters, tt.pathParams)
			}
			if !reflect.DeepEqual(req.QueryStringParameters, tt.query) || !reflect.DeepEqual(req.MultiValueQueryStringParameters, tt.multiQuery) {
				t.Errorf("query = %v / %v, want %v / %v", req.QueryStringParameters, req.MultiValueQueryStringParameters, tt.query, tt.multiQuery)
			}
			if req.Body != tt.wantBody || req.IsBase64Encoded != tt.base64 {
				t.Errorf("body = %q (base64 %v), want %q (base64 %v)", req.Body, req.IsBase64Encoded, tt.wantBody, tt.base64)
			}
			if got := req.Headers["X-Multi"]; got != "two" {
				t.Errorf("single-value header = %q, want the last value", got)
			}
			if got := req.MultiValueHeaders["X-Multi"]; !reflect.DeepEqual(got, []string{"one", "two"}) {
				t.Errorf("multi-value header = %v", got)
			}
			if req.Headers["Host"] == "" {
				t.Error("Host header missing")
			}
			if xff := req.Headers["X-Forwarded-For"]; xff != req.RequestContext.Identity.SourceIP || req.Headers["X-Forwarded-Proto"] != "http" {
				t.Errorf("forwarded headers = %q / %q", xff, req.Headers["X-Forwarded-Proto"])
			}
			rc := req.RequestContext
			if rc.Stage != Stage || rc.RequestID != "req-1" || rc.HTTPMethod != tt.method || rc.ResourcePath != tt.resource ||
				rc.RequestTimeEpoch != at.UnixMilli() || rc.Identity.SourceIP == "" {
				t.Errorf("request context = %+v", rc)
			}
		})
	}
}

func TestGatewayResponses(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', 0xff}
	tests := []struct {
		name       string
		resp       events.APIGatewayProxyResponse
		err        error
		panic      bool
		wantStatus int
		wantBody   []byte
		wantHeader http.Header
	}{
		{
			name:       "json",
			resp:       events.APIGatewayProxyResponse{StatusCode: 202, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"accepted":1}`},
			wantStatus: 202, wantBody: []byte(`{"accepted":1}`),
			wantHeader: http.Header{"Content-Type": {"application/json"}},
		},
		{
			name: "base64 body and multi-value headers win over single",
			resp: events.APIGatewayProxyResponse{
				StatusCode: 200, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString(png),
				Headers:           map[string]string{"Content-Type": "image/png", "Cache-Control": "ignored"},
				MultiValueHeaders: map[string][]string{"Cache-Control": {"no-store", "private"}, "Set-Cookie": {"a=1", "b=2"}},
			},
			wantStatus: 200, wantBody: png,
			wantHeader: http.Header{"Content-Type": {"image/png"}, "Cache-Control": {"no-store", "private"}, "Set-Cookie": {"a=1", "b=2"}},
		},
		{name: "handler error is 502 without its text", err: errors.New("secret internal detail"), wantStatus: 502},
		{name: "handler panic is 502", panic: true, wantStatus: 502},
		{name: "missing status is 502", resp: events.APIGatewayProxyResponse{Body: "x"}, wantStatus: 502},
		{name: "bad base64 is 502", resp: events.APIGatewayProxyResponse{StatusCode: 200, IsBase64Encoded: true, Body: "!!"}, wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h APIHandler = &recorder{resp: tt.resp, err: tt.err}
			if tt.panic {
				h = HandlerFunc(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
					panic("boom")
				})
			}
			srv := httptest.NewServer(&Gateway{Query: h, Ingest: h})
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/incidents")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantBody != nil && !bytes.Equal(body, tt.wantBody) {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			for k, want := range tt.wantHeader {
				if got := resp.Header.Values(k); !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %v, want %v", k, got, want)
				}
			}
			if bytes.Contains(body, []byte("secret internal detail")) {
				t.Error("internal error text reached the caller")
			}
		})
	}
}

func TestGatewayRoutesAndLimits(t *testing.T) {
	ingest := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 202}}
	query := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200}}
	g := &Gateway{Ingest: ingest, Query: query, MaxBody: 16}
	srv := httptest.NewServer(g)
	defer srv.Close()

	post := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/webhooks/generic", "{}"); got != 202 || ingest.n != 1 || ingest.got.PathParameters["provider"] != "generic" {
		t.Errorf("webhook: status %d, ingest calls %d, params %v", got, ingest.n, ingest.got.PathParameters)
	}
	if got := post("/incidents/x/comments", "{}"); got != 200 || query.n != 1 {
		t.Errorf("query route: status %d, query calls %d", got, query.n)
	}
	// Exactly at the limit passes; one byte more is refused before any handler runs.
	if got := post("/webhooks/generic", strings.Repeat("a", 16)); got != 202 {
		t.Errorf("body at the limit: status %d", got)
	}
	before := ingest.n
	if got := post("/webhooks/generic", strings.Repeat("a", 17)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize body: status %d, want 413", got)
	}
	if ingest.n != before {
		t.Error("the handler ran for an oversize body")
	}
	if MaxBodyBytes != 10*1024*1024 {
		t.Errorf("default cap = %d, want API Gateway's 10 MB", MaxBodyBytes)
	}
}

func TestForwardedForAppends(t *testing.T) {
	r := httptest.NewRequest("GET", "/incidents", nil)
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.RemoteAddr = "192.0.2.1:5555"
	req := ToRequest(r, nil, "id", time.Now())
	if got := req.MultiValueHeaders["X-Forwarded-For"]; !reflect.DeepEqual(got, []string{"203.0.113.9, 192.0.2.1"}) {
		t.Errorf("X-Forwarded-For = %v", got)
	}
}

func TestFromResponseMergesHeaders(t *testing.T) {
	body, hdr, err := FromResponse(events.APIGatewayProxyResponse{
		StatusCode: 200, Headers: map[string]string{"content-type": "text/plain", "X-A": "1"},
		MultiValueHeaders: map[string][]string{"x-a": {"2", "3"}}, Body: "hi",
	})
	if err != nil || string(body) != "hi" {
		t.Fatalf("body %q err %v", body, err)
	}
	if got := hdr.Values("X-A"); !reflect.DeepEqual(got, []string{"2", "3"}) {
		t.Errorf("X-A = %v", got)
	}
	if hdr.Get("Content-Type") != "text/plain" {
		t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
	}
}
