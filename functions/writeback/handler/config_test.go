package handler_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/muster-sec/muster/functions/writeback/handler"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the variable the error names; "" for none
	}{
		{"nothing enabled", map[string]string{}, ""},
		{"both sources, a queue", map[string]string{"MUSTER_WRITEBACK_SOURCES": "securityhub,guardduty",
			"MUSTER_WRITEBACK_DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "MUSTER_API_URL": "https://muster.example.com"}, ""},
		{"unknown source", map[string]string{"MUSTER_WRITEBACK_SOURCES": "securityhub,falco"}, "MUSTER_WRITEBACK_SOURCES"},
		{"link base not http", map[string]string{"MUSTER_API_URL": "muster.example.com"}, "MUSTER_API_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := handler.FromEnv(context.Background(), aws.Config{Region: "us-east-1"}, func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr == "" && (err != nil || h == nil):
				t.Fatalf("FromEnv: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("FromEnv error %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
}
