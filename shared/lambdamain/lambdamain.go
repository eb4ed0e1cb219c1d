// Package lambdamain is the body every function's main shares: JSON logs
// on stdout tagged with the function's name, the AWS configuration, the
// handler built from the environment, and the Lambda runtime loop.
package lambdamain

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/muster-sec/muster/shared/awsclient"
)

// FromEnv builds a function's handler from its environment.
type FromEnv[H any] func(ctx context.Context, cfg aws.Config, getenv func(string) string) (H, error)

// Start logs as component, builds the handler with fromEnv and serves
// invocations with the entry point entry picks from it (h.Handle,
// h.ServeAPI, …). It exits with status 1 if the configuration cannot be
// loaded or the handler cannot be built.
func Start[H any](component string, fromEnv FromEnv[H], entry func(H) any) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("component", component))
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		slog.Error("load aws config", "error", err)
		os.Exit(1)
	}
	h, err := fromEnv(ctx, cfg, os.Getenv)
	if err != nil {
		slog.Error("configure "+component, "error", err)
		os.Exit(1)
	}
	lambda.Start(entry(h))
}
