package handler

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/apigw"
)

//go:embed openapi.json
var openAPIDoc string

func (h *Handler) healthz(ctx context.Context, r *request) (events.APIGatewayProxyResponse, error) {
	return h.json(http.StatusOK, map[string]string{"status": "ok"}), nil
}

func (h *Handler) openAPI(ctx context.Context, r *request) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: openAPIDoc}, nil
}

func (h *Handler) listPlaybooks(ctx context.Context, r *request) (events.APIGatewayProxyResponse, error) {
	items := make([]any, 0)
	for _, p := range h.playbooks.List() {
		items = append(items, p)
	}
	return h.json(http.StatusOK, listResponse{Items: items}), nil
}

func bodyBytes(r *request) ([]byte, error) { return apigw.Body(r.APIGatewayProxyRequest) }
