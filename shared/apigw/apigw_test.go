package apigw_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/apigw"
)

func TestHeaderIsCaseInsensitive(t *testing.T) {
	req := events.APIGatewayProxyRequest{
		Headers:           map[string]string{"content-type": "application/json"},
		MultiValueHeaders: map[string][]string{"X-Muster-Timestamp": {"1", "2"}},
	}
	if got := apigw.Header(req, "Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := apigw.Header(req, "x-muster-timestamp"); got != "1" {
		t.Errorf("multi-value = %q", got)
	}
	if got := apigw.Header(req, "Authorization"); got != "" {
		t.Errorf("absent = %q", got)
	}
}

func TestBodyDecodesBase64(t *testing.T) {
	req := events.APIGatewayProxyRequest{Body: base64.StdEncoding.EncodeToString([]byte("\x00hi")), IsBase64Encoded: true}
	b, err := apigw.Body(req)
	if err != nil || string(b) != "\x00hi" {
		t.Fatalf("body = %q, %v", b, err)
	}
	req.Body = "%%%"
	if _, err := apigw.Body(req); err == nil {
		t.Fatal("bad base64 accepted")
	}
}

func TestProblemShape(t *testing.T) {
	resp := apigw.ProblemWith(apigw.ProblemDetails{Status: 413, Detail: "body over 1 MiB", Extensions: map[string]any{"limit": 1048576, "status": "ignored"}})
	if resp.StatusCode != 413 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("resp = %+v", resp)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != "about:blank" || m["title"] != "Request Entity Too Large" || m["status"].(float64) != 413 || m["limit"].(float64) != 1048576 {
		t.Fatalf("problem = %v", m)
	}
}
