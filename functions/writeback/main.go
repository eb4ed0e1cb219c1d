// Command writeback is the Muster write-back Lambda function. It wires the
// handler from the environment and starts the Lambda runtime loop.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/muster-sec/muster/functions/writeback/handler"
	"github.com/muster-sec/muster/shared/awsclient"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)).With("component", "writeback"))
	ctx := context.Background()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		slog.Error("load aws config", "error", err)
		os.Exit(1)
	}
	h, err := handler.FromEnv(ctx, cfg, os.Getenv)
	if err != nil {
		slog.Error("configure writeback", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
