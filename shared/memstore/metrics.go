package memstore

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/muster-sec/muster/shared/metrics"
	"github.com/muster-sec/muster/shared/resources"
)

const (
	pkMetrics      = "METRICS"
	pkMetricsEvent = "METRICSEVENT#"
	skMetricsDay   = "DAY#"
)

// AddMetrics adds d to the counters of day, once per marker (none: always).
func (s *Store) AddMetrics(_ context.Context, day, marker string, d metrics.Delta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(slices.Collect(maps.Values(d)), func(v int64) bool { return v != 0 }) {
		return nil
	}
	if marker != "" {
		var seen bool
		if s.get(pkMetricsEvent+marker, "EVENT", &seen) {
			return nil
		}
		s.put(pkMetricsEvent+marker, "EVENT", true)
	}
	counts := map[string]int64{}
	s.get(pkMetrics, skMetricsDay+day, &counts)
	for k, v := range d {
		if v != 0 {
			counts[k] += v
		}
	}
	s.put(pkMetrics, skMetricsDay+day, counts)
	return nil
}

// MetricDays reads the counters of the days from..to, both included.
func (s *Store) MetricDays(_ context.Context, from, to string) ([]metrics.Day, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []metrics.Day
	s.each(pkMetrics, skMetricsDay, false, func(sk string, _ []byte) bool {
		day := strings.TrimPrefix(sk, skMetricsDay)
		if day >= from && day <= to {
			counts := map[string]int64{}
			s.get(pkMetrics, sk, &counts)
			out = append(out, metrics.Day{Day: day, Counts: counts})
		}
		return true
	})
	return out, nil
}

// maxDetectionLookups is dynamostore.MaxDetectionLookups.
const maxDetectionLookups = 100

// AlertDetections returns the detection of each alert among the first 100
// ids that exists.
func (s *Store) AlertDetections(_ context.Context, ids []string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, id := range ids[:min(len(ids), maxDetectionLookups)] {
		var cur alertItem
		if s.get(resources.PrefixAlert+id, resources.SKAlert, &cur) {
			out[id] = metrics.Detection(cur.Doc.Provider, cur.Doc.Type)
		}
	}
	return out, nil
}
