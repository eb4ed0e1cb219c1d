// Package bootstrap creates the resources the local stack needs on an AWS
// API emulator (moto, LocalStack): the table with its stream (from
// shared/resources via dynamostore.CreateTable), the event bus, and the
// local sink — an SQS queue and the rule resources.LocalSinkRule that
// routes every Muster event on the bus to it (eventbus.CreateBus, the
// helper the events tests use too).
//
// Every step is idempotent: running it against an emulator that already
// holds the resources leaves them as they are and returns their names.
package bootstrap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/eventbus"
	"github.com/muster-sec/muster/shared/resources"
)

// Names are the resources to create. Zero fields take the defaults from
// shared/resources.
type Names struct {
	Table string
	Bus   string
	Queue string
	Rule  resources.Rule
}

func (n Names) withDefaults() Names {
	if n.Table == "" {
		n.Table = resources.DefaultTableName
	}
	if n.Bus == "" {
		n.Bus = resources.DefaultBusName
	}
	if n.Queue == "" {
		n.Queue = resources.LocalSinkQueue
	}
	if n.Rule.Name == "" {
		n.Rule = resources.LocalSinkRule
	}
	return n
}

// Result is what Run created or found.
type Result struct {
	Names
	StreamARN string
	BusARN    string
	QueueURL  string
	QueueARN  string
}

// Run creates the table, the bus, the sink queue and the sink rule on the
// emulator behind cfg.
func Run(ctx context.Context, cfg aws.Config, names Names) (Result, error) {
	n := names.withDefaults()
	res := Result{Names: n}
	var err error
	if res.StreamARN, err = dynamostore.CreateTable(ctx, dynamodb.NewFromConfig(cfg), n.Table); err != nil {
		return res, err
	}
	if res.StreamARN == "" {
		return res, fmt.Errorf("table %s has no stream; delete it and start again", n.Table)
	}
	route, err := eventbus.CreateBus(ctx, cfg, n.Bus, n.Rule, n.Queue)
	if err != nil {
		return res, fmt.Errorf("create bus %s and sink queue %s: %w", n.Bus, n.Queue, err)
	}
	res.BusARN, res.QueueURL, res.QueueARN = route.BusARN, route.QueueURL, route.QueueARN
	return res, nil
}
