package handler_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkListIncidentsPage measures one filtered page of GET /incidents
// on moto and reports the DynamoDB work per page (calls and items read),
// which is what costs on AWS; moto's latency is not AWS's.
func BenchmarkListIncidentsPage(b *testing.B) {
	for _, q := range []struct {
		name  string
		query map[string]string
	}{
		{"unfiltered", map[string]string{"limit": "50"}},
		{"severity+owner", map[string]string{"limit": "50", "severity": "High,Critical", "owner": "alice"}},
		{"kind=all", map[string]string{"limit": "50", "kind": "all"}},
	} {
		b.Run(q.name, func(b *testing.B) {
			e := benchEnv(b)
			path := "/incidents"
			if q.query["kind"] != "" {
				path = "/alerts"
			}
			e.meter.Reset()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp := e.get(path, readToken, q.query)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			calls := e.meter.Calls()
			b.ReportMetric(float64(len(calls))/float64(b.N), "ddb-calls/page")
			b.ReportMetric(float64(e.meter.ItemsRead())/float64(b.N), "items-read/page")
		})
	}
}

func benchEnv(b *testing.B) *env {
	b.Helper()
	e := newEnv(b)
	e.seedIncidents(300)
	for i := 0; i < 100; i++ {
		e.putAlert(sampleAlert(fmt.Sprintf("bench-%d", i), now.Add(-time.Duration(i)*time.Hour)))
	}
	return e
}
