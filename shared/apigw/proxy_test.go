package apigw_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/apigw"
)

// seen is what a handler saw of a request.
type seen struct {
	method, path, escaped, host, remote string
	wildcard                            string
	query                               map[string][]string
	auth, ifMatch                       string
	body                                string
	bodyErr                             error
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name string
		req  events.APIGatewayProxyRequest
		want seen
	}{
		{
			name: "single and multi values merge",
			req: events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/items/a%2Fb",
				QueryStringParameters:           map[string]string{"limit": "5", "severity": "Critical"},
				MultiValueQueryStringParameters: map[string][]string{"severity": {"High", "Critical"}},
				Headers:                         map[string]string{"authorization": "Bearer t", "Host": "api.example"},
				MultiValueHeaders:               map[string][]string{"If-Match": {`"3"`, `"4"`}, "Authorization": {"Bearer other"}},
				RequestContext:                  events.APIGatewayProxyRequestContext{Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.9"}}},
			want: seen{method: "GET", path: "/items/a/b", escaped: "/items/a%2Fb", host: "api.example", remote: "203.0.113.9",
				wildcard: "a/b", query: map[string][]string{"limit": {"5"}, "severity": {"High", "Critical"}},
				auth: "Bearer t", ifMatch: `"3"`},
		},
		{
			name: "plain body and query values that need escaping",
			req: events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/items/x", Body: `{"a":1}`,
				QueryStringParameters: map[string]string{"since": "2026-11-20T10:00:00+01:00"}},
			want: seen{method: "POST", path: "/items/x", escaped: "/items/x", wildcard: "x",
				query: map[string][]string{"since": {"2026-11-20T10:00:00+01:00"}}, body: `{"a":1}`},
		},
		{
			name: "base64 body",
			req: events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/items/x", IsBase64Encoded: true,
				Body: base64.StdEncoding.EncodeToString([]byte("\xff\x00hi"))},
			want: seen{method: "POST", path: "/items/x", escaped: "/items/x", wildcard: "x", query: map[string][]string{}, body: "\xff\x00hi"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			mux := http.NewServeMux()
			mux.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				got = seen{method: r.Method, path: r.URL.Path, escaped: r.URL.EscapedPath(), host: r.Host, remote: r.RemoteAddr,
					wildcard: r.PathValue("id"), query: r.URL.Query(), auth: r.Header.Get("Authorization"),
					ifMatch: r.Header.Get("If-Match"), body: string(b), bodyErr: err}
			})
			resp := apigw.Serve(context.Background(), mux, tt.req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d %s", resp.StatusCode, resp.Body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("handler saw\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	if _, err := apigw.Request(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/a%zz"}); err == nil {
		t.Error("bad escape accepted")
	}
	resp := apigw.Serve(context.Background(), http.NotFoundHandler(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/a%zz"})
	if resp.StatusCode != http.StatusNotFound || resp.Headers["Content-Type"] != "application/problem+json" ||
		resp.Headers["Cache-Control"] != "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("bad escape answered %d %v", resp.StatusCode, resp.Headers)
	}
	r, err := apigw.Request(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/", Body: "%%%", IsBase64Encoded: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r.Body); !errors.Is(err, apigw.ErrBadBase64) {
		t.Errorf("reading a bad base64 body: %v", err)
	}
}

func TestRecorderResponse(t *testing.T) {
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter)
		want  events.APIGatewayProxyResponse
	}{
		{"no write is 200", func(w http.ResponseWriter) {},
			events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{}}},
		{"status, exact header names, text body", func(w http.ResponseWriter) {
			w.Header()["ETag"] = []string{`"2"`}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			w.WriteHeader(http.StatusTeapot) // ignored
			_, _ = w.Write([]byte(`{"ok":true}`))
		}, events.APIGatewayProxyResponse{StatusCode: 201, Headers: map[string]string{"ETag": `"2"`, "Content-Type": "application/json"}, Body: `{"ok":true}`}},
		{"several values, binary body", func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "a=1")
			w.Header().Add("Set-Cookie", "b=2")
			_, _ = w.Write([]byte{0xff, 0x00})
		}, events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}}, Body: "/wA=", IsBase64Encoded: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := apigw.NewRecorder()
			tt.serve(rec)
			if got := rec.Response(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
