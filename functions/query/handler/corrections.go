package handler

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/listing"
)

// Analysts' corrections (docs/api.md, "Corrections"): each is one
// correlate.Correction, applied and committed in one transaction by the
// correlation service, with a timeline entry naming who did it.

const (
	maxReasonLen       = 1000
	maxCorrectedAlerts = 100
)

type mergeBody struct {
	Incidents []string `json:"incidents"`
	Reason    string   `json:"reason"`
}

type alertsBody struct {
	Alerts []string `json:"alerts"`
	Reason string   `json:"reason"`
}

type createBody struct {
	Alerts   []string `json:"alerts"`
	Reason   string   `json:"reason"`
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func checkReason(reason string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return badField("reason", "is required: say why")
	case len(reason) > maxReasonLen:
		return badField("reason", "longer than "+strconv.Itoa(maxReasonLen)+" characters")
	}
	return nil
}

// onIncident starts a correction of the path's incident by the caller,
// after the checks such corrections share: If-Match and a reason.
func onIncident(r *request, kind correlate.CorrectionKind, reason string) (correlate.Correction, error) {
	version, err := parseIfMatch(r)
	if err != nil {
		return correlate.Correction{}, err
	}
	if err := checkReason(reason); err != nil {
		return correlate.Correction{}, err
	}
	return correlate.Correction{Kind: kind, Target: r.PathValue("id"), Version: version, By: r.principal.Name, Reason: reason}, nil
}

func (h *Handler) mergeIncidents(ctx context.Context, r *request, b mergeBody) (reply, error) {
	c, err := onIncident(r, correlate.Merge, b.Reason)
	if err != nil {
		return reply{}, err
	}
	if len(b.Incidents) == 0 || len(b.Incidents) > correlate.MaxMerge {
		return reply{}, badField("incidents", "give 1 to "+strconv.Itoa(correlate.MaxMerge)+" incident ids")
	}
	c.Incidents = b.Incidents
	return h.correct(ctx, c, http.StatusOK)
}

func (h *Handler) moveAlerts(ctx context.Context, r *request, b alertsBody) (reply, error) {
	c, err := onIncident(r, correlate.Move, b.Reason)
	if err != nil {
		return reply{}, err
	}
	if c.Alerts, err = h.loadAlerts(ctx, b.Alerts); err != nil {
		return reply{}, err
	}
	return h.correct(ctx, c, http.StatusOK)
}

func (h *Handler) removeAlert(ctx context.Context, r *request) (reply, error) {
	c, err := onIncident(r, correlate.Remove, r.URL.Query().Get("reason"))
	if err != nil {
		return reply{}, err
	}
	c.AlertIDs = []string{r.PathValue("alertId")}
	return h.correct(ctx, c, http.StatusOK)
}

func (h *Handler) createIncident(ctx context.Context, r *request, b createBody) (reply, error) {
	if err := checkReason(b.Reason); err != nil {
		return reply{}, err
	}
	c := correlate.Correction{Kind: correlate.Create, By: r.principal.Name, Reason: b.Reason, Title: strings.TrimSpace(b.Title)}
	if len(c.Title) > 256 {
		return reply{}, badField("title", "longer than 256 characters")
	}
	if b.Severity != "" {
		s, ok := alert.ParseSeverity(b.Severity)
		if !ok {
			return reply{}, badField("severity", "must be Informational, Low, Medium, High or Critical")
		}
		c.Severity = s
	}
	alerts, err := h.loadAlerts(ctx, b.Alerts)
	if err != nil {
		return reply{}, err
	}
	c.Alerts = alerts
	return h.correct(ctx, c, http.StatusCreated)
}

func (h *Handler) promoteCandidate(ctx context.Context, r *request, b reasonBody) (reply, error) {
	if err := checkReason(b.Reason); err != nil {
		return reply{}, err
	}
	return h.correct(ctx, correlate.Correction{Kind: correlate.Promote, Target: r.PathValue("id"),
		By: r.principal.Name, Reason: b.Reason}, http.StatusOK)
}

// listCandidates is GET /candidates: linked groups below the incident
// threshold, with their confidence and its reasons, newest first.
func (h *Handler) listCandidates(ctx context.Context, r *request) (reply, error) {
	q := queryValues(r)
	days, limit := 7, defaultLimit
	for name, dst := range map[string]*int{"days": &days, "limit": &limit} {
		if v := values(q, name); len(v) > 0 {
			n, err := strconv.Atoi(v[0])
			max := maxLimit
			if name == "days" {
				max = 30
			}
			if err != nil || n < 1 || n > max || len(v) > 1 {
				return reply{}, badField(name, "must be an integer from 1 to "+strconv.Itoa(max))
			}
			*dst = n
		}
	}
	cands, err := h.store.ListCandidates(ctx, h.now().Add(-time.Duration(days)*24*time.Hour), limit)
	if err != nil {
		return reply{}, err
	}
	items := make([]any, 0, len(cands))
	for i := range cands {
		items = append(items, incidentItem{Kind: "candidate", Incident: &cands[i]})
	}
	return jsonReply(http.StatusOK, listResponse{Items: items}), nil
}

// loadAlerts reads the alerts a correction names.
func (h *Handler) loadAlerts(ctx context.Context, ids []string) ([]alert.Alert, error) {
	if len(ids) == 0 || len(ids) > maxCorrectedAlerts {
		return nil, badField("alerts", "give 1 to "+strconv.Itoa(maxCorrectedAlerts)+" alert ids")
	}
	out := make([]alert.Alert, 0, len(ids))
	for _, id := range ids {
		a, err := h.store.GetAlert(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// correct applies c and answers with the incident it leaves (the target,
// or the one created).
func (h *Handler) correct(ctx context.Context, c correlate.Correction, status int) (reply, error) {
	if _, err := h.corrections.Correct(ctx, c); err != nil {
		return reply{}, correctionError(err)
	}
	id := c.Target
	if c.Kind == correlate.Create {
		id = correlate.CreatedID(c.Alerts)
	}
	inc, err := h.store.GetIncident(ctx, id)
	if err != nil {
		return reply{}, err
	}
	rep := jsonReply(status, incidentItem{Kind: string(listing.KindIncident), Incident: &inc}).with("ETag", etag(inc.Version))
	if status == http.StatusCreated {
		rep = rep.with("Location", h.apiURL+"/incidents/"+id)
	}
	return rep, nil
}

// correctionError turns the correlation service's errors into the API's:
// their messages name ids and limits, nothing internal.
func correctionError(err error) error {
	switch {
	case errors.Is(err, correlate.ErrStale):
		return &clientError{sentinel: errStale, detail: err.Error()}
	case errors.Is(err, correlate.ErrRefused):
		return &clientError{sentinel: errRefused, detail: err.Error()}
	case errors.Is(err, correlate.ErrNotFound):
		return &clientError{sentinel: errMissing, detail: err.Error()}
	}
	return err
}
