// Package handler is the query function: Muster's REST API for bots,
// analysts and the console.
package handler

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/muster-sec/muster/shared/apigw"
)

// Handler serves the REST API.
type Handler struct{}

// FromEnv wires the handler's adapters from the environment.
func FromEnv(ctx context.Context, cfg aws.Config, getenv func(string) string) (*Handler, error) {
	return &Handler{}, nil
}

// ServeAPI handles one API Gateway REST proxy request.
func (h *Handler) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return apigw.Problem(http.StatusNotImplemented, "", "not implemented yet"), nil
}
