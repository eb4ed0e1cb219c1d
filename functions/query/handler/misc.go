package handler

import (
	"context"
	"github.com/muster-sec/muster/shared/normalize"
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

// sourceItem is one row of GET /sources: a format Muster accepts.
type sourceItem struct {
	Name    string `json:"name"`
	Display string `json:"display"`
	Webhook string `json:"webhook"`
	IDField string `json:"idField"`
}

// listSources is GET /sources: the source registry, in display order, so
// that clients (the console's provider filter and names) need no list of
// their own.
func (h *Handler) listSources(ctx context.Context, r *request) (reply, error) {
	items := make([]any, 0)
	for _, s := range normalize.Sources() {
		items = append(items, sourceItem{Name: s.Name, Display: s.Display, Webhook: "/webhooks/" + s.Name, IDField: s.IDField})
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}
