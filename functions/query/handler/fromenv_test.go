package handler_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/slack"
)

// fromEnvTable is the moto server and a fresh table for FromEnv.
func fromEnvTable(t *testing.T) (*mototest.Server, string) {
	t.Helper()
	srv := mototest.Get(t)
	table := mototest.UniqueName("fromenv")
	if _, err := dynamostore.CreateTable(context.Background(), dynamodb.NewFromConfig(srv.Config()), table); err != nil {
		t.Fatal(err)
	}
	return srv, table
}

// TestFromEnvReadsTokensFromSSM wires the handler as the Lambda does: the
// table from MUSTER_TABLE and the tokens from an SSM SecureString named by
// MUSTER_AUTH_PARAM.
func TestFromEnvReadsTokensFromSSM(t *testing.T) {
	ctx := context.Background()
	srv, table := fromEnvTable(t)
	cfg := srv.Config()
	param := srv.SecureString(t, `{"tokens":[{"name":"bot","token":"ssm-token","scopes":["read"]}]}`)
	env := map[string]string{"MUSTER_TABLE": table, "MUSTER_AUTH_PARAM": param, "MUSTER_CURSOR_KEY": "k"}
	h, err := handler.FromEnv(ctx, cfg, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token  string
		status int
	}{
		{"ssm-token", http.StatusOK},
		{"other", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		resp, err := h.ServeAPI(ctx, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/incidents",
			Headers: map[string]string{"Authorization": "Bearer " + tt.token}})
		if err != nil || resp.StatusCode != tt.status {
			t.Fatalf("token %s: %d %s, %v", tt.token, resp.StatusCode, resp.Body, err)
		}
	}
	t.Run("console is open", func(t *testing.T) {
		resp, err := h.ServeAPI(ctx, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"})
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("console: %d, %v", resp.StatusCode, err)
		}
	})
	t.Run("bad playbook config fails", func(t *testing.T) {
		env := map[string]string{"MUSTER_TABLE": table, "MUSTER_PLAYBOOKS": "[not json"}
		if _, err := handler.FromEnv(ctx, cfg, func(k string) string { return env[k] }); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestFromEnvSlack wires the Slack app from the environment (locally) and
// from an SSM SecureString (in AWS): a command signed with the configured
// secret is answered; settings that do not parse fail without quoting the
// secret.
func TestFromEnvSlack(t *testing.T) {
	ctx := context.Background()
	srv, table := fromEnvTable(t)
	cfg := srv.Config()
	param := srv.SecureString(t, `{"signingSecret":"ssm-slack-secret","botToken":"xoxb-1","users":{"U1":{"name":"alice","scopes":["read"]}}}`)
	tests := []struct {
		name    string
		env     map[string]string
		secret  string
		wantErr string
	}{
		{"environment", map[string]string{chatops.EnvSigningSecret: "env-slack-secret", chatops.EnvUsers: `{"U1":{"name":"alice","scopes":["read"]}}`}, "env-slack-secret", ""},
		{"ssm", map[string]string{chatops.EnvParam: param}, "ssm-slack-secret", ""},
		{"bad users", map[string]string{chatops.EnvSigningSecret: "env-slack-secret", chatops.EnvUsers: `{"U1":{}}`}, "", "users[U1].name"},
		{"missing parameter", map[string]string{chatops.EnvParam: param + "-missing"}, "", "read slack parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["MUSTER_TABLE"] = table
			h, err := handler.FromEnv(ctx, cfg, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret\"") {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body := "command=%2Fmuster&text=help&user_id=U1"
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			resp, err := h.ServeAPI(ctx, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/chatops/slack/commands", Body: body,
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", slack.HeaderTimestamp: ts,
					slack.HeaderSignature: slack.SignatureHeader([]byte(tt.secret), ts, []byte(body))}})
			if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "/muster") {
				t.Fatalf("signed help: %d %s %v", resp.StatusCode, resp.Body, err)
			}
		})
	}
}
