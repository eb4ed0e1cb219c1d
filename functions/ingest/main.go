// Command ingest is the Muster ingest Lambda function. It wires the handler from
// the environment and starts the Lambda runtime loop.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/muster-sec/muster/functions/ingest/handler"
	"github.com/muster-sec/muster/shared/awsclient"
)

func main() {
	// The handler adds component=ingest to its own records.
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		slog.Error("load aws config", "component", "ingest", "error", err)
		os.Exit(1)
	}
	h, err := handler.FromEnv(ctx, cfg, os.Getenv)
	if err != nil {
		slog.Error("configure ingest", "component", "ingest", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Invoke)
}
