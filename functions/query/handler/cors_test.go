package handler_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/functions/query/handler"
)

// TestCORSOnlyForConfiguredOrigins checks that CORS headers appear only for
// an allowed Origin, and never without configuration.
func TestCORSOnlyForConfiguredOrigins(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		origin  string
		want    string
	}{
		{"not configured", nil, "https://console.example.com", ""},
		{"allowed origin", []string{"https://console.example.com"}, "https://console.example.com", "https://console.example.com"},
		{"other origin", []string{"https://console.example.com"}, "https://evil.example.net", ""},
		{"no origin header", []string{"https://console.example.com"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := handler.New(handler.Options{CORSOrigins: tt.origins})
			req := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/healthz", Headers: map[string]string{}}
			if tt.origin != "" {
				req.Headers["Origin"] = tt.origin
			}
			resp, err := h.ServeAPI(context.Background(), req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("healthz: %d %v", resp.StatusCode, err)
			}
			if got := resp.Headers["Access-Control-Allow-Origin"]; got != tt.want {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tt.want)
			}
		})
	}
}
