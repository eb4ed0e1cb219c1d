package handler_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/muster-sec/muster/shared/metrics"
)

type metricsPage struct {
	Since   string `json:"since"`
	Until   string `json:"until"`
	Buckets []struct {
		Start   string `json:"start"`
		Alerts  int64  `json:"alerts"`
		Created int64  `json:"created"`
	} `json:"buckets"`
	Total struct {
		Alerts            int64            `json:"alerts"`
		Created           int64            `json:"created"`
		CreatedBySeverity map[string]int64 `json:"createdBySeverity"`
		MTTR              struct {
			Count         int64   `json:"count"`
			MedianSeconds float64 `json:"medianSeconds"`
		} `json:"mttr"`
	} `json:"total"`
	Detections []struct {
		Detection  string  `json:"detection"`
		NoiseShare float64 `json:"noiseShare"`
	} `json:"detections"`
}

// TestMetrics: the counters of 90 days come back in day or week buckets
// from one Query, whatever the number of incidents behind them.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 90 {
		day := now.AddDate(0, 0, -i).Format(metrics.DayLayout)
		d := metrics.Delta{metrics.Alerts: 10, metrics.Created: 1, metrics.CreatedSev + "High": 1,
			"det.guardduty/SSH brute force|alerts": 10, "det.guardduty/SSH brute force|incidents": 1}
		if i%2 == 0 {
			d["det.guardduty/SSH brute force|fp"] = 1
		}
		if err := e.store.AddMetrics(ctx, day, "", d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		query   map[string]string
		buckets int
		alerts  int64
	}{
		{"30 days by default", nil, 31, 310},
		{"90 days by day", map[string]string{"since": "89d"}, 90, 900},
		{"90 days by week", map[string]string{"since": "89d", "bucket": "week"}, 14, 900},
		{"one day", map[string]string{"since": "0d", "until": "0d"}, 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.meter.Reset()
			resp := e.get("/metrics", readToken, tt.query)
			wantStatus(t, resp, http.StatusOK)
			e.conforms("Metrics", resp.Body)
			got := decode[metricsPage](t, resp)
			var sum int64
			for _, b := range got.Buckets {
				sum += b.Alerts
			}
			if len(got.Buckets) != tt.buckets || got.Total.Alerts != tt.alerts || sum != tt.alerts {
				t.Errorf("%d buckets, total %d alerts (buckets add to %d); want %d, %d", len(got.Buckets), got.Total.Alerts, sum, tt.buckets, tt.alerts)
			}
			if got.Total.CreatedBySeverity["High"] != tt.alerts/10 {
				t.Errorf("created by severity %v", got.Total.CreatedBySeverity)
			}
			if ops := e.meter.Operations(); ops["Query"] != 1 || ops["Scan"] != 0 {
				t.Errorf("operations %v, want one Query", ops)
			}
			t.Logf("%s: %v, %d items read", tt.name, e.meter.Operations(), e.meter.ItemsRead())
		})
	}
	got := decode[metricsPage](t, e.get("/metrics", readToken, map[string]string{"since": "89d"}))
	if len(got.Detections) != 1 || got.Detections[0].NoiseShare != 0.5 {
		t.Errorf("detections %+v, want one at 0.5 noise", got.Detections)
	}
	bad := []struct {
		name  string
		query map[string]string
		field string
	}{
		{"bucket", map[string]string{"bucket": "month"}, "bucket"},
		{"since", map[string]string{"since": "yesterday"}, "since"},
		{"span", map[string]string{"since": "400d"}, "since"},
		{"until before since", map[string]string{"since": "2d", "until": "3d"}, "until"},
		{"unknown", map[string]string{"limit": "3"}, "limit"},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.name, func(t *testing.T) {
			resp := e.get("/metrics", readToken, tt.query)
			wantStatus(t, resp, http.StatusBadRequest)
			if f := decode[map[string]any](t, resp)["field"]; f != tt.field {
				t.Errorf("field = %v, want %s", f, tt.field)
			}
		})
	}
}
