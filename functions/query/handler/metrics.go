package handler

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/metrics"
)

// Bounds of GET /metrics: a day's counters are one item, so a year is one
// Query of 366 small items.
const (
	defaultMetricsSince = 30 * 24 * time.Hour
	maxMetricsSpan      = 366 * 24 * time.Hour
)

var metricsParams = []string{"since", "until", "bucket"}

// metricsReply is GET /metrics.
type metricsReply struct {
	Since      string                     `json:"since"` // first day (UTC)
	Until      string                     `json:"until"` // last day, included
	Bucket     string                     `json:"bucket"`
	Buckets    []metrics.Bucket           `json:"buckets"`
	Total      metrics.Bucket             `json:"total"`
	Detections []metrics.DetectionFigures `json:"detections"`
}

// getMetrics serves GET /metrics: the pipeline's daily counters over a
// period, in day or week buckets (one Query of the METRICS partition).
func (h *Handler) getMetrics(ctx context.Context, r *request) (reply, error) {
	q := queryValues(r)
	for k := range q {
		if !slices.Contains(metricsParams, k) {
			return reply{}, badField(k, "unknown query parameter; this resource accepts "+strings.Join(metricsParams, ", "))
		}
	}
	now := h.now().UTC()
	since, until, err := metricsWindow(values(q, "since"), values(q, "until"), now)
	if err != nil {
		return reply{}, err
	}
	bucket := "day"
	if b := values(q, "bucket"); len(b) > 0 {
		if len(b) > 1 || (b[0] != "day" && b[0] != "week") {
			return reply{}, badField("bucket", "must be day or week")
		}
		bucket = b[0]
	}
	from, to := since.Format(metrics.DayLayout), until.Format(metrics.DayLayout)
	days, err := h.store.MetricDays(ctx, from, to)
	if err != nil {
		return reply{}, err
	}
	rep := metrics.Build(days, since, until, bucket == "week")
	return jsonReply(http.StatusOK, metricsReply{Since: from, Until: to, Bucket: bucket, Buckets: rep.Buckets,
		Total: rep.Total, Detections: rep.Detections}), nil
}

// metricsWindow reads since (default 30 days ago) and until (default now)
// as UTC days, at most maxMetricsSpan apart.
func metricsWindow(rawSince, rawUntil []string, now time.Time) (time.Time, time.Time, error) {
	since, until := now.Add(-defaultMetricsSince), now
	for _, p := range []struct {
		name string
		raw  []string
		dst  *time.Time
	}{{"since", rawSince, &since}, {"until", rawUntil, &until}} {
		if len(p.raw) == 0 {
			continue
		}
		t, ok := parseTime(p.raw[0], now)
		if !ok || len(p.raw) > 1 {
			return since, until, badField(p.name, "must be an RFC 3339 time or a duration such as 24h or 7d")
		}
		*p.dst = t
	}
	since, until = since.Truncate(24*time.Hour), until.Truncate(24*time.Hour)
	switch {
	case until.Before(since):
		return since, until, badField("until", "is before since")
	case until.Sub(since) > maxMetricsSpan:
		return since, until, outOfRange("since", "at most 366 days before until", "366d")
	case until.After(now.Add(24 * time.Hour)):
		return since, until, outOfRange("until", "at most 1 day ahead of now", "24h")
	}
	return since, until, nil
}
