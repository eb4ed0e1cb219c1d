package auth_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/auth"
)

const (
	readToken   = "tok-read-9f8e7d6c5b4a"
	ingestToken = "tok-ingest-1a2b3c4d5e6f"
	secret      = "whsec-0123456789abcdef"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func newAuth(t *testing.T) *auth.Authenticator {
	t.Helper()
	cfg, err := auth.ParseConfig([]byte(`{"tokens":[
		{"name":"bot","token":"` + readToken + `","scopes":["read"]},
		{"name":"gd","token":"` + ingestToken + `","scopes":["ingest:guardduty"]}],
		"secrets":[{"provider":"alertmanager","secret":"` + secret + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func req(h map[string]string, body, provider string) auth.Request {
	hdr := http.Header{}
	for k, v := range h {
		hdr.Set(k, v)
	}
	return auth.Request{Header: hdr.Get, Body: []byte(body), Provider: provider}
}

func sign(ts time.Time, body string) map[string]string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return map[string]string{
		auth.HeaderTimestamp: t,
		auth.HeaderSignature: "sha256=" + hex.EncodeToString(auth.Sign([]byte(secret), t, []byte(body))),
	}
}

func TestAuthenticate(t *testing.T) {
	a := newAuth(t)
	body := `{"alerts":[]}`
	tests := []struct {
		name    string
		r       auth.Request
		scope   string
		wantErr error
	}{
		{"no credentials", req(nil, body, "guardduty"), "ingest:guardduty", auth.ErrUnauthenticated},
		{"wrong token", req(map[string]string{"Authorization": "Bearer nope"}, body, ""), "read", auth.ErrUnauthenticated},
		{"basic scheme", req(map[string]string{"Authorization": "Basic " + readToken}, body, ""), "read", auth.ErrUnauthenticated},
		{"read token reads", req(map[string]string{"Authorization": "Bearer " + readToken}, body, ""), "read", nil},
		{"read token cannot write", req(map[string]string{"Authorization": "Bearer " + readToken}, body, ""), "write", auth.ErrForbidden},
		{"ingest token for its provider", req(map[string]string{"authorization": "bearer " + ingestToken}, body, "guardduty"), "ingest:guardduty", nil},
		{"ingest token wrong provider", req(map[string]string{"Authorization": "Bearer " + ingestToken}, body, "falco"), "ingest:falco", auth.ErrForbidden},
		{"good signature", req(sign(now, body), body, "alertmanager"), "ingest:alertmanager", nil},
		{"signature grants only its provider", req(sign(now, body), body, "alertmanager"), "read", auth.ErrForbidden},
		{"tampered body", req(sign(now, body), body+" ", "alertmanager"), "ingest:alertmanager", auth.ErrUnauthenticated},
		{"stale signature", req(sign(now.Add(-6*time.Minute), body), body, "alertmanager"), "ingest:alertmanager", auth.ErrUnauthenticated},
		{"future signature", req(sign(now.Add(6*time.Minute), body), body, "alertmanager"), "ingest:alertmanager", auth.ErrUnauthenticated},
		{"no secret for provider", req(sign(now, body), body, "falco"), "ingest:falco", auth.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(tt.r, now)
			if err == nil {
				err = auth.Require(p, tt.scope)
			}
			if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, s := range []string{readToken, ingestToken, secret} {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a credential: %v", err)
				}
			}
		})
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	cfg, err := auth.ParseConfig([]byte(`{"tokens":[{"name":"bot","token":"` + readToken + `","scopes":["read"]}],"secrets":[{"provider":"falco","secret":"` + secret + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "cfg", cfg, "token", cfg.Tokens[0].Token, "secret", cfg.Secrets[0].Secret)
	out := buf.String() + fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)
	if strings.Contains(out, readToken) || strings.Contains(out, secret) {
		t.Fatalf("credential printed: %s", out)
	}
	if _, err := auth.ParseConfig([]byte(`{"tokens":"` + readToken)); err == nil || strings.Contains(err.Error(), readToken) {
		t.Fatalf("parse error leaks or is missing: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{auth.EnvDevToken: "dev-token-123", auth.EnvParameter: "/muster/auth"}
	fetch := func(_ context.Context, name string) (string, error) {
		if name != "/muster/auth" {
			return "", errors.New("no such parameter")
		}
		return `{"tokens":[{"name":"bot","sha256":"` + hexSHA(readToken) + `","scopes":["read"]}]}`, nil
	}
	a, err := auth.FromEnv(context.Background(), func(k string) string { return env[k] }, fetch)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Authenticate(req(map[string]string{"Authorization": "Bearer dev-token-123"}, "", ""), now)
	if err != nil || !p.Allows("write") || !p.Allows("ingest:falco") {
		t.Fatalf("dev token: %v %+v", err, p)
	}
	p, err = a.Authenticate(req(map[string]string{"Authorization": "Bearer " + readToken}, "", ""), now)
	if err != nil || !p.Allows("read") || p.Allows("write") {
		t.Fatalf("hashed token: %v %+v", err, p)
	}
}

func hexSHA(s string) string {
	h := auth.SHA256Hex(s)
	return h
}
