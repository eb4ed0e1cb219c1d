package correlate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
)

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    correlate.Config
		wantErr string // the variable the error must name
	}{
		{name: "defaults", env: nil, want: correlate.DefaultConfig()},
		{name: "every variable", env: map[string]string{
			correlate.EnvWindow: "36h", correlate.EnvMinStages: "3", correlate.EnvNoisyKeyResources: "50",
			correlate.EnvMaxAlertsPerIncident: "200", correlate.EnvReopenResolved: "false", correlate.EnvMinConfidence: "70",
			correlate.EnvAutoResolve: "false", correlate.EnvResourceWindow: "6h"},
			want: correlate.Config{Window: 36 * time.Hour, ResourceWindow: 6 * time.Hour, MinStages: 3, NoisyKeyResources: 50, MaxAlertsPerIncident: 200, MinConfidence: 70}},
		{name: "bad duration", env: map[string]string{correlate.EnvWindow: "a day"}, wantErr: correlate.EnvWindow},
		{name: "window too long", env: map[string]string{correlate.EnvWindow: "240h"}, wantErr: "window"},
		{name: "bad resource window", env: map[string]string{correlate.EnvResourceWindow: "soon"}, wantErr: correlate.EnvResourceWindow},
		{name: "resource window under a second", env: map[string]string{correlate.EnvResourceWindow: "0s"}, wantErr: correlate.EnvResourceWindow},
		{name: "resource window longer than the window", env: map[string]string{correlate.EnvWindow: "4h", correlate.EnvResourceWindow: "6h"}, wantErr: "resource window"},
		{name: "bad number", env: map[string]string{correlate.EnvMinStages: "two"}, wantErr: correlate.EnvMinStages},
		{name: "zero stages", env: map[string]string{correlate.EnvMinStages: "0"}, wantErr: "min stages"},
		{name: "bad bool", env: map[string]string{correlate.EnvReopenResolved: "maybe"}, wantErr: correlate.EnvReopenResolved},
		{name: "bad auto-resolve", env: map[string]string{correlate.EnvAutoResolve: "sometimes"}, wantErr: correlate.EnvAutoResolve},
		{name: "cap too small", env: map[string]string{correlate.EnvMaxAlertsPerIncident: "1"}, wantErr: "max alerts"},
		{name: "confidence over 100", env: map[string]string{correlate.EnvMinConfidence: "101"}, wantErr: "min confidence"},
		{name: "noisy threshold zero", env: map[string]string{correlate.EnvNoisyKeyResources: "0"}, wantErr: "noisy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := correlate.FromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if !errors.Is(err, correlate.ErrConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrConfig naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("FromEnv = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestWindowDays(t *testing.T) {
	e := mustEngine(t, correlate.DefaultConfig())
	got := e.WindowDays(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	if strings.Join(got, ",") != "2026-11-19,2026-11-20,2026-11-21" {
		t.Fatalf("window days = %v", got)
	}
}
