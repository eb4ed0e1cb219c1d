package handler

import (
	"context"
	"net/http"

	"github.com/muster-sec/muster/functions/query/openapi"
)

func (h *Handler) healthz(ctx context.Context, r *request) (reply, error) {
	return jsonReply(http.StatusOK, map[string]string{"status": "ok"}), nil
}

func (h *Handler) openAPI(ctx context.Context, r *request) (reply, error) {
	return textReply("application/json", string(openapi.Document())), nil
}

func (h *Handler) listPlaybooks(ctx context.Context, r *request) (reply, error) {
	items := make([]any, 0)
	for _, p := range h.playbooks.List() {
		items = append(items, p)
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}
