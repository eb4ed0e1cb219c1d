// Package handler is the responder function, a consumer of the table's stream.
package handler

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Handler consumes stream batches.
type Handler struct{}

// FromEnv wires the handler's adapters from the environment.
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	return &Handler{}, nil
}

// Handle processes one stream batch and names the records that failed.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return events.DynamoDBEventResponse{}, nil
}
