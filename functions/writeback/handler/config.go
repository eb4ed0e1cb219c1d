package handler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/deadletter"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/resources"
	"github.com/muster-sec/muster/shared/writeback"
)

// EnvDLQURL is the dead-letter queue's URL (FromEnv).
const EnvDLQURL = "MUSTER_WRITEBACK_DLQ_URL"

// FromEnv wires the handler from the environment: MUSTER_TABLE (default
// "muster"), MUSTER_API_URL (the console's base, for the note's link),
// MUSTER_WRITEBACK_SOURCES (securityhub: Security Hub workflow status and
// note, for Security Hub and GuardDuty findings; guardduty: GuardDuty
// archive and unarchive), and MUSTER_WRITEBACK_DLQ_URL (an SQS queue; the
// log when unset).
func FromEnv(_ context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	sources, err := writeback.ParseSources(getenv(writeback.EnvSources))
	if err != nil {
		return nil, err
	}
	log := slog.Default().With("consumer", resources.WriteBack.Name)
	opts := Options{ConsoleURL: envOr(getenv, "MUSTER_API_URL", incidentevent.DefaultAPIURL), Logger: log}
	if !strings.HasPrefix(opts.ConsoleURL, "http://") && !strings.HasPrefix(opts.ConsoleURL, "https://") {
		return nil, fmt.Errorf("MUSTER_API_URL %q: want an http(s) URL", opts.ConsoleURL)
	}
	if slices.Contains(sources, alert.ProviderSecurityHub) {
		opts.SecurityHub = securityhub.NewFromConfig(cfg)
	}
	if slices.Contains(sources, alert.ProviderGuardDuty) {
		opts.GuardDuty = guardduty.NewFromConfig(cfg)
	}
	if len(sources) == 0 {
		log.Warn("no write-back source enabled; records are read and nothing is written", "set", writeback.EnvSources)
	}
	var dead DeadLetter = deadletter.NewLog(log, resources.WriteBack.Name)
	if u := getenv(EnvDLQURL); u != "" {
		dead = deadletter.NewSQS(sqs.NewFromConfig(cfg), u, resources.WriteBack.Name)
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), resources.TableFromEnv(getenv), dynamostore.Options{})
	return New(store, dead, opts), nil
}

func envOr(getenv func(string) string, k, def string) string {
	if v := strings.TrimSpace(getenv(k)); v != "" {
		return v
	}
	return def
}
