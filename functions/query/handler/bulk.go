package handler

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/muster-sec/muster/shared/incident"
)

// maxBulk bounds the incidents one bulk change touches.
const maxBulk = 100

type bulkBody struct {
	IDs []string  `json:"ids"`
	Set patchBody `json:"set"`
}

// bulkResult is one incident's outcome, like a webhook item's.
type bulkResult struct {
	ID      string         `json:"id"`
	Status  string         `json:"status"` // updated, failed
	Version int64          `json:"version,omitempty"`
	Error   *bulkItemError `json:"error,omitempty"`
}

type bulkItemError struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// bulkIncidents is POST /incidents/bulk: one change (status, owner,
// classification, severity, tags) to up to maxBulk incidents, each at its
// current version, each with its own result; one failing changes nothing
// of the others.
func (h *Handler) bulkIncidents(ctx context.Context, r *request, b bulkBody) (reply, error) {
	if len(b.IDs) == 0 || len(b.IDs) > maxBulk {
		return reply{}, badField("ids", "give 1 to "+strconv.Itoa(maxBulk)+" incident ids")
	}
	p, err := b.Set.parse()
	if err != nil {
		return reply{}, err
	}
	results := make([]bulkResult, 0, len(b.IDs))
	counts := map[string]int{}
	for i, id := range b.IDs {
		if slices.Contains(b.IDs[:i], id) {
			continue
		}
		res := h.bulkOne(ctx, id, p, r.principal.Name)
		counts[res.Status]++
		results = append(results, res)
	}
	return jsonReply(http.StatusOK, map[string]any{"updated": counts["updated"], "failed": counts["failed"], "results": results}), nil
}

// bulkOne applies p to one incident at the version it reads, reading
// again once when another change got in between.
func (h *Handler) bulkOne(ctx context.Context, id string, p incidentPatch, actor string) bulkResult {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		inc, gerr := h.store.GetIncident(ctx, id)
		if err = gerr; err != nil {
			break
		}
		inc, err = h.applyPatch(ctx, id, inc.Version, p, actor)
		if err == nil {
			return bulkResult{ID: id, Status: "updated", Version: inc.Version}
		}
		if !errors.Is(err, incident.ErrConflict) {
			break
		}
	}
	pd := h.problem(err)
	return bulkResult{ID: id, Status: "failed", Error: &bulkItemError{Status: pd.Status, Detail: pd.Detail}}
}
