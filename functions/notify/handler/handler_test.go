package handler_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/functions/notify/handler"
	"github.com/muster-sec/muster/shared/cardstore"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/slack/slacktest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func TestFromEnvNeedsChannelAndToken(t *testing.T) {
	cfg := mototest.Get(t).Config()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{chatops.EnvBotToken: "xoxb-1"}, chatops.EnvChannel},
		{map[string]string{chatops.EnvChannel: "C1"}, "no bot token"},
		{map[string]string{chatops.EnvChannel: "C1", chatops.EnvBotToken: "xoxb-secret-1", chatops.EnvUsers: "["}, chatops.EnvUsers},
	}
	for _, tt := range tests {
		_, err := handler.FromEnv(context.Background(), cfg, func(k string) string { return tt.env[k] })
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "xoxb-secret-1") {
			t.Errorf("FromEnv(%v) = %v, want it to name %s", tt.env, err, tt.want)
		}
	}
	if _, err := handler.FromEnv(context.Background(), cfg, func(k string) string {
		return map[string]string{chatops.EnvChannel: "C1", chatops.EnvBotToken: "xoxb-1"}[k]
	}); err != nil {
		t.Errorf("FromEnv with channel and token: %v", err)
	}
}

// TestHandle: a Muster event posts a card; another source's event and an
// unreadable one are dropped without an error (retrying cannot help).
func TestHandle(t *testing.T) {
	fake := slacktest.New()
	defer fake.Close()
	db := dynamodb.NewFromConfig(mototest.Get(t).Config())
	table := mototest.UniqueName("notify")
	if _, err := dynamostore.CreateTable(context.Background(), db, table); err != nil {
		t.Fatal(err)
	}
	h := &handler.Handler{Notifier: &chatops.Notifier{Channel: "C1", Cards: &cardstore.Store{DB: db, Table: table},
		Slack: &slack.Client{Token: slacktest.Token, BaseURL: fake.APIURL()}}}
	detail, _ := json.Marshal(map[string]any{"version": "1", "incident": map[string]any{"id": "inc-n", "title": "T", "severity": "High",
		"status": "Active", "version": 1, "links": map[string]any{"self": "https://muster.example/incidents/inc-n"}},
		"change": map[string]any{"kind": "created", "severityRaised": true}})
	tests := []struct {
		name  string
		ev    events.EventBridgeEvent
		posts int
	}{
		{"other source", events.EventBridgeEvent{Source: "aws.guardduty", DetailType: "Incident Created", Detail: detail}, 0},
		{"unreadable", events.EventBridgeEvent{Source: "muster", DetailType: "Incident Created", Detail: json.RawMessage(`[1]`)}, 0},
		{"created", events.EventBridgeEvent{Source: "muster", DetailType: "Incident Created", Detail: detail}, 1},
		{"created again", events.EventBridgeEvent{Source: "muster", DetailType: "Incident Created", Detail: detail}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.Handle(context.Background(), tt.ev); err != nil {
				t.Fatal(err)
			}
			if n := len(fake.Calls()); n != tt.posts {
				t.Errorf("%d calls to Slack, want %d", n, tt.posts)
			}
		})
	}
}
