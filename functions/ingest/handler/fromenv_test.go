package handler_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/ingest/handler"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
)

// FromEnv wires the table from MUSTER_TABLE and the tokens from an SSM
// SecureString parameter (MUSTER_AUTH_PARAM), as in AWS.
func TestFromEnvWithSSMParameter(t *testing.T) {
	ctx := context.Background()
	srv := mototest.Get(t)
	cfg := srv.Config()
	table := mototest.UniqueName("ingest-env")
	if _, err := dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(cfg), table); err != nil {
		t.Fatal(err)
	}
	param := srv.SecureString(t, `{"tokens":[{"name":"gd-webhook","token":"`+tokenGuardDuty+`","scopes":["ingest:guardduty"]}]}`)
	env := map[string]string{"MUSTER_TABLE": table, "MUSTER_AUTH_PARAM": param}
	h, err := handler.FromEnv(ctx, cfg, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.ServeAPI(ctx, post("guardduty", tokenGuardDuty, sample(t, "guardduty", "port-probe.json")))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, resp.Body)
	}
	if resp, _ := h.ServeAPI(ctx, post("falco", tokenGuardDuty, sample(t, "falco", "terminal-shell.json"))); resp.StatusCode != 403 {
		t.Fatalf("scope from the parameter not enforced: %d", resp.StatusCode)
	}
	// A missing parameter is a configuration error, and names no secret.
	env["MUSTER_AUTH_PARAM"] = "/muster/does-not-exist"
	if _, err := handler.FromEnv(ctx, cfg, func(k string) string { return env[k] }); err == nil {
		t.Fatal("FromEnv succeeded without its auth parameter")
	}
}
