package auth

import (
	"context"
	"fmt"
)

// Environment variables read by FromEnv.
const (
	EnvConfig    = "MUSTER_AUTH_CONFIG" // JSON Config, local use
	EnvParameter = "MUSTER_AUTH_PARAM"  // SSM parameter (SecureString) holding the JSON Config
	EnvDevToken  = "MUSTER_DEV_TOKEN"   // one all-scopes token, local use
)

// FromEnv builds an Authenticator from the environment: the JSON in
// MUSTER_AUTH_CONFIG, or the SSM parameter named by MUSTER_AUTH_PARAM
// (fetched with param), plus MUSTER_DEV_TOKEN as an all-scopes token.
// Errors never include secret values.
func FromEnv(ctx context.Context, getenv func(string) string, param func(ctx context.Context, name string) (string, error)) (*Authenticator, error) {
	var cfg Config
	raw := getenv(EnvConfig)
	if name := getenv(EnvParameter); raw == "" && name != "" {
		if param == nil {
			return nil, fmt.Errorf("%s is set but no parameter store is available", EnvParameter)
		}
		v, err := param(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("read auth parameter %s: %w", name, err)
		}
		raw = v
	}
	if raw != "" {
		c, err := ParseConfig([]byte(raw))
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if dev := getenv(EnvDevToken); dev != "" {
		cfg.Tokens = append(cfg.Tokens, TokenConfig{Name: "dev", Token: Credential(dev), Scopes: []string{"*"}})
	}
	return New(cfg)
}
