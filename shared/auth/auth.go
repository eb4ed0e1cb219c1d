// Package auth authenticates API callers: bearer tokens with scopes, or an
// HMAC-SHA256 signature over a webhook's timestamp and body.
//
// Scopes: "read", "write", "respond" (a playbook reporting on the response
// requests it runs, and nothing else), "ingest:<provider>", "ingest:*",
// and "*" (every scope; the local development token). Tokens are configured as SHA-256
// hashes or in clear (then hashed at load) and compared in constant time;
// neither a token nor a signing secret is ever put in an error or a log
// line: Credential values redact themselves when logged.
//
// A signed webhook carries
//
//	X-Muster-Timestamp: <unix seconds>
//	X-Muster-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
//
// and is accepted within a replay window (five minutes by default) either
// side of the server's clock. A valid signature grants ingest:<provider>
// for the provider whose secret signed it.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Callers map ErrUnauthenticated to 401 and ErrForbidden
// to 403.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrForbidden       = errors.New("forbidden")
)

// Header names of a signed webhook.
const (
	HeaderTimestamp = "X-Muster-Timestamp"
	HeaderSignature = "X-Muster-Signature"
)

// DefaultReplayWindow is how far a signed request's timestamp may be from
// now.
const DefaultReplayWindow = 5 * time.Minute

// Principal is an authenticated caller.
type Principal struct {
	Name   string
	Scopes []string
}

// Allows reports whether the principal holds scope (or a wildcard for it).
func (p Principal) Allows(scope string) bool {
	for _, s := range p.Scopes {
		if s == "*" || s == scope {
			return true
		}
		if s == "ingest:*" && strings.HasPrefix(scope, "ingest:") {
			return true
		}
	}
	return false
}

// Credential is a secret value that never prints itself.
type Credential string

// String redacts.
func (Credential) String() string { return "[REDACTED]" }

// GoString redacts.
func (Credential) GoString() string { return "[REDACTED]" }

// LogValue redacts in slog.
func (Credential) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// MarshalJSON redacts.
func (Credential) MarshalJSON() ([]byte, error) { return []byte(`"[REDACTED]"`), nil }

// TokenConfig configures one bearer token. Give either Token (clear, hashed
// at load) or SHA256 (hex digest of the token).
type TokenConfig struct {
	Name   string     `json:"name"`
	Token  Credential `json:"-"`
	SHA256 string     `json:"sha256,omitempty"`
	Scopes []string   `json:"scopes"`
}

// UnmarshalJSON reads "token" into the redacting Token field.
func (t *TokenConfig) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name   string   `json:"name"`
		Token  string   `json:"token"`
		SHA256 string   `json:"sha256"`
		Scopes []string `json:"scopes"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*t = TokenConfig{Name: raw.Name, Token: Credential(raw.Token), SHA256: raw.SHA256, Scopes: raw.Scopes}
	return nil
}

// SecretConfig configures one webhook signing secret.
type SecretConfig struct {
	Provider string     `json:"provider"`
	Secret   Credential `json:"-"`
}

// UnmarshalJSON reads "secret" into the redacting Secret field.
func (s *SecretConfig) UnmarshalJSON(b []byte) error {
	var raw struct {
		Provider string `json:"provider"`
		Secret   string `json:"secret"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = SecretConfig{Provider: raw.Provider, Secret: Credential(raw.Secret)}
	return nil
}

// Config is the authenticator's configuration, as JSON in the environment
// or an SSM parameter: {"tokens":[…],"secrets":[…]}.
type Config struct {
	Tokens       []TokenConfig  `json:"tokens"`
	Secrets      []SecretConfig `json:"secrets"`
	ReplayWindow time.Duration  `json:"-"`
}

// ParseConfig decodes a JSON configuration. Errors never quote the input.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, errors.New("parse auth config: not valid JSON of the form {\"tokens\":[…],\"secrets\":[…]}")
	}
	return c, nil
}

type token struct {
	hash      [32]byte
	principal Principal
}

// Authenticator checks credentials. Build it with New.
type Authenticator struct {
	tokens  []token
	secrets map[string][]byte
	window  time.Duration
}

// New validates cfg and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	a := &Authenticator{secrets: map[string][]byte{}, window: cfg.ReplayWindow}
	if a.window <= 0 {
		a.window = DefaultReplayWindow
	}
	for i, t := range cfg.Tokens {
		var h [32]byte
		switch {
		case t.Token != "":
			h = sha256.Sum256([]byte(t.Token))
		case len(t.SHA256) == 64:
			b, err := hex.DecodeString(t.SHA256)
			if err != nil {
				return nil, fmt.Errorf("auth config tokens[%d] (%s): sha256 is not hex", i, t.Name)
			}
			copy(h[:], b)
		default:
			return nil, fmt.Errorf("auth config tokens[%d] (%s): needs token or a 64-digit sha256", i, t.Name)
		}
		if len(t.Scopes) == 0 {
			return nil, fmt.Errorf("auth config tokens[%d] (%s): no scopes", i, t.Name)
		}
		name := t.Name
		if name == "" {
			name = fmt.Sprintf("token-%d", i)
		}
		a.tokens = append(a.tokens, token{hash: h, principal: Principal{Name: name, Scopes: t.Scopes}})
	}
	for i, s := range cfg.Secrets {
		if s.Provider == "" || s.Secret == "" {
			return nil, fmt.Errorf("auth config secrets[%d]: needs provider and secret", i)
		}
		a.secrets[s.Provider] = []byte(s.Secret)
	}
	return a, nil
}

// Request is what authentication looks at. Header lookups must be
// case-insensitive.
type Request struct {
	Header   func(name string) string
	Body     []byte
	Provider string // the webhook's provider, for signature checks; "" elsewhere
}

// Authenticate returns the caller's principal. It tries the bearer token
// first, then (for webhooks) the signature. Errors wrap ErrUnauthenticated
// and never include credential material.
func (a *Authenticator) Authenticate(r Request, now time.Time) (Principal, error) {
	if authz := r.Header("Authorization"); authz != "" {
		scheme, tok, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return Principal{}, fmt.Errorf("%w: Authorization must be \"Bearer <token>\"", ErrUnauthenticated)
		}
		h := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		var found *Principal
		for i := range a.tokens {
			// Compare against every token so timing does not tell which matched.
			if subtle.ConstantTimeCompare(h[:], a.tokens[i].hash[:]) == 1 {
				found = &a.tokens[i].principal
			}
		}
		if found == nil {
			return Principal{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
		}
		return *found, nil
	}
	if sig := r.Header(HeaderSignature); sig != "" && r.Provider != "" {
		return a.verifySignature(r, sig, now)
	}
	return Principal{}, fmt.Errorf("%w: missing bearer token or webhook signature", ErrUnauthenticated)
}

func (a *Authenticator) verifySignature(r Request, sig string, now time.Time) (Principal, error) {
	secret, ok := a.secrets[r.Provider]
	if !ok {
		return Principal{}, fmt.Errorf("%w: no signing secret configured for provider %s", ErrUnauthenticated, r.Provider)
	}
	tsText := r.Header(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %s must be unix seconds", ErrUnauthenticated, HeaderTimestamp)
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > a.window || d < -a.window {
		return Principal{}, fmt.Errorf("%w: signature timestamp outside the %s replay window", ErrUnauthenticated, a.window)
	}
	got, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return Principal{}, fmt.Errorf("%w: %s must be sha256=<hex>", ErrUnauthenticated, HeaderSignature)
	}
	gotBytes, err := hex.DecodeString(got)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %s must be sha256=<hex>", ErrUnauthenticated, HeaderSignature)
	}
	if !hmac.Equal(gotBytes, Sign(secret, tsText, r.Body)) {
		return Principal{}, fmt.Errorf("%w: signature does not match", ErrUnauthenticated)
	}
	return Principal{Name: "signed:" + r.Provider, Scopes: []string{"ingest:" + r.Provider}}, nil
}

// Sign returns HMAC-SHA256(secret, timestamp + "." + body).
func Sign(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Require returns ErrForbidden (wrapped, naming the scope) unless p holds
// scope.
func Require(p Principal, scope string) error {
	if !p.Allows(scope) {
		return fmt.Errorf("%w: scope %q required", ErrForbidden, scope)
	}
	return nil
}

// SHA256Hex returns the hex SHA-256 of a token, the form tokens are
// configured in for deployments.
func SHA256Hex(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
