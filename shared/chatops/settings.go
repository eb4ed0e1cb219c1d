package chatops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/muster-sec/muster/shared/auth"
)

// Environment variables of the Slack app. Locally the values are given
// directly; in AWS MUSTER_SLACK_PARAM names an SSM SecureString holding
// {"signingSecret": "...", "botToken": "...", "users": {...}}.
const (
	EnvSigningSecret = "MUSTER_SLACK_SIGNING_SECRET"
	EnvUsers         = "MUSTER_SLACK_USERS"
	EnvBotToken      = "MUSTER_SLACK_BOT_TOKEN"
	EnvParam         = "MUSTER_SLACK_PARAM"
	EnvChannel       = "MUSTER_SLACK_CHANNEL" // where the notifier posts cards
)

// Settings are the Slack app's secrets and user map. The secrets are
// Credentials: they redact themselves in logs.
type Settings struct {
	SigningSecret auth.Credential
	BotToken      auth.Credential
	Users         Users
}

// SettingsFromEnv reads the settings from the environment, or from the
// SSM parameter named by MUSTER_SLACK_PARAM (fetched with param) when no
// signing secret or bot token is set directly. Errors name the variable or
// field, never a value.
func SettingsFromEnv(ctx context.Context, getenv func(string) string, param func(context.Context, string) (string, error)) (Settings, error) {
	secret, token, users := getenv(EnvSigningSecret), getenv(EnvBotToken), getenv(EnvUsers)
	if name := getenv(EnvParam); secret == "" && token == "" && name != "" {
		if param == nil {
			return Settings{}, fmt.Errorf("%s is set but no parameter store is available", EnvParam)
		}
		raw, err := param(ctx, name)
		if err != nil {
			return Settings{}, fmt.Errorf("read slack parameter %s: %w", name, err)
		}
		var v struct {
			SigningSecret string          `json:"signingSecret"`
			BotToken      string          `json:"botToken"`
			Users         json.RawMessage `json:"users"`
		}
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return Settings{}, fmt.Errorf("slack parameter %s: %w", name, errors.New(`not JSON of the form {"signingSecret", "botToken", "users"}`))
		}
		secret, token, users = v.SigningSecret, v.BotToken, string(v.Users)
	}
	u, err := ParseUsers([]byte(users))
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", EnvUsers, err)
	}
	return Settings{SigningSecret: auth.Credential(secret), BotToken: auth.Credential(token), Users: u}, nil
}
