// Package apigw holds the small pieces every API Gateway REST proxy handler
// needs: case-insensitive headers, JSON and problem+json (RFC 9457)
// responses, a request-body decoder that reports base64 and size errors,
// and Serve, the adapter that runs a net/http handler for a REST proxy
// event (proxy.go).
package apigw

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Header returns a request header, case-insensitively, looking at the
// multi-value headers too.
func Header(req events.APIGatewayProxyRequest, name string) string {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Body returns the request body bytes, decoding base64 when API Gateway
// marked it so.
func Body(req events.APIGatewayProxyRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("decode base64 body: %w", err)
	}
	return b, nil
}

// JSON returns a JSON response.
func JSON(status int, v any) events.APIGatewayProxyResponse {
	b, err := json.Marshal(v)
	if err != nil {
		return Problem(http.StatusInternalServerError, "Internal error", "the response could not be encoded")
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

// ProblemDetails is an RFC 9457 problem document. Extra members (field,
// limit, results…) go in Extensions.
type ProblemDetails struct {
	Type       string
	Title      string
	Status     int
	Detail     string
	Extensions map[string]any
}

// MarshalJSON flattens the extensions next to the standard members.
func (p ProblemDetails) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Extensions)+4)
	for k, v := range p.Extensions {
		m[k] = v
	}
	m["type"] = p.Type
	m["title"] = p.Title
	m["status"] = p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	return json.Marshal(m)
}

// Problem returns a problem+json response. The type is "about:blank" and
// the title the status text unless title is given.
func Problem(status int, title, detail string) events.APIGatewayProxyResponse {
	return ProblemWith(ProblemDetails{Status: status, Title: title, Detail: detail})
}

// ProblemWith returns a problem+json response for p.
func ProblemWith(p ProblemDetails) events.APIGatewayProxyResponse {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	b, _ := json.Marshal(p)
	return events.APIGatewayProxyResponse{
		StatusCode: p.Status,
		Headers:    map[string]string{"Content-Type": "application/problem+json"},
		Body:       string(b),
	}
}
