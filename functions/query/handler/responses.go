package handler

import (
	"context"
	"net/http"

	"github.com/muster-sec/muster/shared/incident"
)

// responseView is a response request as the API shows it: with requestId
// (its id, the name playbooks report under) and the status shown now
// (NoReport for one no playbook reported on in time).
type responseView struct {
	incident.ResponseRequest
	RequestID string                  `json:"requestId"`
	Status    incident.ResponseStatus `json:"status"`
}

func (h *Handler) responseViews(reqs []incident.ResponseRequest) []responseView {
	now := h.now()
	out := make([]responseView, 0, len(reqs))
	for _, r := range reqs {
		if r.Parameters == nil {
			r.Parameters = map[string]any{}
		}
		out = append(out, responseView{ResponseRequest: r, RequestID: r.ID, Status: r.Shown(now, h.reportWait)})
	}
	return out
}

// reportResponse is POST /incidents/{id}/responses/{requestId}: a
// playbook's report (scope respond). An unknown request, or one of another
// incident, is 404; a report after a final status is 409 and changes
// nothing.
func (h *Handler) reportResponse(ctx context.Context, r *request, b incident.ResponseReport) (reply, error) {
	if err := b.Validate(); err != nil {
		return reply{}, err
	}
	at := h.now().UTC()
	req, err := h.store.ReportResponse(ctx, r.PathValue("id"), r.PathValue("requestId"), func(q *incident.ResponseRequest) error {
		return q.Report(b, at)
	})
	if err != nil {
		return reply{}, err
	}
	return jsonReply(http.StatusOK, h.responseViews([]incident.ResponseRequest{req})[0]), nil
}
