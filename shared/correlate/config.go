package correlate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults of Config, as documented in the README.
const (
	DefaultWindow               = 24 * time.Hour
	DefaultMinStages            = 2
	DefaultNoisyKeyResources    = 5
	DefaultMaxAlertsPerIncident = 500
	DefaultMinConfidence        = 50
	// DefaultResourceWindow is how far apart two alerts may be first seen
	// and still be linked by their resource or host alone.
	DefaultResourceWindow = 6 * time.Hour
	// MaxKeysPerAlert bounds the correlation keys one alert links through
	// (resources first, then entities in the order the alert lists them),
	// so that one alert's writes fit in one DynamoDB transaction.
	MaxKeysPerAlert = 24
	// MaxWindow bounds the window: one alert's key-day reads grow with it.
	MaxWindow = 7 * 24 * time.Hour
)

// Environment variables read by FromEnv.
const (
	EnvWindow               = "MUSTER_CORRELATION_WINDOW"
	EnvMinStages            = "MUSTER_MIN_STAGES"
	EnvNoisyKeyResources    = "MUSTER_NOISY_KEY_RESOURCES"
	EnvMaxAlertsPerIncident = "MUSTER_MAX_ALERTS_PER_INCIDENT"
	EnvReopenResolved       = "MUSTER_REOPEN_RESOLVED"
	EnvMinConfidence        = "MUSTER_MIN_CONFIDENCE"
	EnvAutoResolve          = "MUSTER_AUTO_RESOLVE"
	EnvResourceWindow       = "MUSTER_RESOURCE_WINDOW"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid correlation configuration")

// Config holds the correlation parameters. Build one with DefaultConfig or
// FromEnv; a Config with zero numbers is completed with the defaults by
// Apply (ReopenResolved has no "unset" state, so set it explicitly or start
// from DefaultConfig).
type Config struct {
	// Window is W: two alerts sharing a key are linked when their firstSeen
	// times are at most W apart (exactly W links).
	Window time.Duration
	// ResourceWindow is how far apart two alerts may be first seen and
	// still be linked through a resource or host they share (actors, file
	// hashes and domains link within Window). Zero means
	// DefaultResourceWindow, or Window when that is shorter.
	ResourceWindow time.Duration
	// MinStages is the number of distinct kill-chain stages beyond
	// PreAttack and Discovery a group needs to become an incident.
	MinStages int
	// MinConfidence is the confidence (0–100) a group needs to become an
	// incident (docs/correlation.md, "Confidence").
	MinConfidence int
	// NoisyKeyResources: a key that links more than this many distinct
	// resources within W is noisy and stops linking.
	NoisyKeyResources int
	// MaxAlertsPerIncident caps an incident; further alerts open a linked
	// continuation incident.
	MaxAlertsPerIncident int
	// ReopenResolved lets a new linked alert within W of a Resolved
	// incident's last activity reopen it.
	ReopenResolved bool
	// AutoResolve resolves an incident when its sources have resolved
	// every one of its alerts.
	AutoResolve bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Window:               DefaultWindow,
		MinStages:            DefaultMinStages,
		NoisyKeyResources:    DefaultNoisyKeyResources,
		MaxAlertsPerIncident: DefaultMaxAlertsPerIncident,
		MinConfidence:        DefaultMinConfidence,
		ReopenResolved:       true,
		AutoResolve:          true,
	}
}

// withDefaults fills zero numbers with the defaults.
func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.ResourceWindow == 0 {
		c.ResourceWindow = min(DefaultResourceWindow, c.Window)
	}
	if c.MinStages == 0 {
		c.MinStages = DefaultMinStages
	}
	if c.NoisyKeyResources == 0 {
		c.NoisyKeyResources = DefaultNoisyKeyResources
	}
	if c.MaxAlertsPerIncident == 0 {
		c.MaxAlertsPerIncident = DefaultMaxAlertsPerIncident
	}
	if c.MinConfidence == 0 {
		c.MinConfidence = DefaultMinConfidence
	}
	return c
}

// Validate checks the ranges of every parameter.
func (c Config) Validate() error {
	switch {
	case c.Window < time.Second || c.Window > MaxWindow:
		return fmt.Errorf("%w: window %s must be between 1s and %s", ErrConfig, c.Window, MaxWindow)
	case c.ResourceWindow < 0 || c.ResourceWindow > c.Window:
		return fmt.Errorf("%w: resource window %s must be between 1s and the window %s", ErrConfig, c.ResourceWindow, c.Window)
	case c.MinStages < 1 || c.MinStages > 13:
		return fmt.Errorf("%w: min stages %d must be between 1 and 13", ErrConfig, c.MinStages)
	case c.NoisyKeyResources < 1:
		return fmt.Errorf("%w: noisy key resources %d must be at least 1", ErrConfig, c.NoisyKeyResources)
	case c.MaxAlertsPerIncident < 2 || c.MaxAlertsPerIncident > 1000:
		return fmt.Errorf("%w: max alerts per incident %d must be between 2 and 1000", ErrConfig, c.MaxAlertsPerIncident)
	case c.MinConfidence < 1 || c.MinConfidence > 100:
		return fmt.Errorf("%w: min confidence %d must be between 1 and 100", ErrConfig, c.MinConfidence)
	}
	return nil
}

// FromEnv reads the configuration from the environment (once, at start).
// Unset variables keep their defaults; set but unparsable or out-of-range
// values are errors naming the variable.
func FromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if v := strings.TrimSpace(getenv(EnvWindow)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("%w: %s=%q is not a duration like 24h or 90m", ErrConfig, EnvWindow, v)
		}
		c.Window = d
	}
	if v := strings.TrimSpace(getenv(EnvResourceWindow)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return c, fmt.Errorf("%w: %s=%q is not a duration of at least 1s, like 8h or 90m", ErrConfig, EnvResourceWindow, v)
		}
		c.ResourceWindow = d
	}
	ints := []struct {
		name string
		dst  *int
	}{
		{EnvMinStages, &c.MinStages},
		{EnvNoisyKeyResources, &c.NoisyKeyResources},
		{EnvMaxAlertsPerIncident, &c.MaxAlertsPerIncident},
		{EnvMinConfidence, &c.MinConfidence},
	}
	for _, x := range ints {
		if v := strings.TrimSpace(getenv(x.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return c, fmt.Errorf("%w: %s=%q is not a whole number", ErrConfig, x.name, v)
			}
			*x.dst = n
		}
	}
	for name, dst := range map[string]*bool{EnvReopenResolved: &c.ReopenResolved, EnvAutoResolve: &c.AutoResolve} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("%w: %s=%q is not true or false", ErrConfig, name, v)
			}
			*dst = b
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w (from environment)", err)
	}
	return c, nil
}
