// Package handler is the ingest function: it authenticates webhook callers,
// recognises each provider's format, normalises and validates alerts,
// applies suppression rules and stores every alert idempotently. It also
// takes GuardDuty and Security Hub findings delivered by an EventBridge
// rule.
package handler

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/muster-sec/muster/shared/apigw"
)

// Handler serves POST /webhooks/{provider} and EventBridge deliveries.
type Handler struct{}

// FromEnv wires the handler's adapters from the environment.
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	return &Handler{}, nil
}

// ServeAPI handles one API Gateway REST proxy request.
func (h *Handler) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return apigw.Problem(http.StatusNotImplemented, "", "not implemented yet"), nil
}

// Invoke is the Lambda entry point: it accepts an API Gateway proxy event or
// an EventBridge event and dispatches on its shape.
func (h *Handler) Invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	return h.ServeAPI(ctx, req)
}
