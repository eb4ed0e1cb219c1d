// Package handler is the notify function: it receives Muster's incident
// events from EventBridge and keeps one Slack card per incident in a
// channel (chatops.Notifier: posted on creation, escalation to High or
// Critical, or a status change; updated in place afterwards). The card's
// message ts is kept in the table (package cardstore).
//
// An error return makes Lambda retry the event (asynchronous invocation:
// twice, then the function's dead-letter queue); an event that cannot be
// read is logged and dropped, since retrying cannot fix it.
package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/cardstore"
	"github.com/muster-sec/muster/shared/chatops"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/playbook"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/slack"
	"github.com/muster-sec/muster/shared/ssmparam"
)

// Handler handles EventBridge deliveries.
type Handler struct {
	Notifier *chatops.Notifier
	Log      *slog.Logger // slog.Default() when nil
}

// Handle handles one event.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	if ev.Source != resources.EventSource {
		log.Warn("event from another source ignored", "source", ev.Source, "detail_type", ev.DetailType)
		return nil
	}
	var d incidentevent.Detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil || d.Incident.ID == "" {
		log.Error("unreadable event dropped", "event_id", ev.ID, "detail_type", ev.DetailType)
		return nil
	}
	if err := h.Notifier.Notify(ctx, ev.DetailType, d); err != nil {
		return fmt.Errorf("event %s (%s of %s): %w", ev.ID, ev.DetailType, d.Incident.ID, err)
	}
	return nil
}

// FromEnv wires the handler: the table (MUSTER_TABLE), the channel
// (MUSTER_SLACK_CHANNEL), the bot token (chatops.SettingsFromEnv, from
// MUSTER_SLACK_BOT_TOKEN or the SSM parameter MUSTER_SLACK_PARAM) and the
// playbooks the cards offer (playbook.FromEnv).
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	channel := getenv(chatops.EnvChannel)
	if channel == "" {
		return nil, fmt.Errorf("%s is required: the channel id (C…) cards are posted to", chatops.EnvChannel)
	}
	st, err := chatops.SettingsFromEnv(ctx, getenv, ssmparam.Reader(cfg))
	if err != nil {
		return nil, fmt.Errorf("configure slack: %w", err)
	}
	if st.BotToken == "" {
		return nil, fmt.Errorf("configure slack: no bot token (%s or botToken in %s)", chatops.EnvBotToken, chatops.EnvParam)
	}
	pb, err := playbook.FromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("configure playbooks: %w", err)
	}
	return &Handler{Notifier: &chatops.Notifier{
		Channel:   channel,
		Cards:     &cardstore.Store{DB: dynamodb.NewFromConfig(cfg), Table: resources.TableFromEnv(getenv)},
		Slack:     &slack.Client{Token: st.BotToken, HTTP: &http.Client{Timeout: 10 * time.Second}},
		Playbooks: pb.List(),
	}}, nil
}
