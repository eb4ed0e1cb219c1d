package bench

import "fmt"

// stormMarkdown renders the storm section.
func (r *Report) stormMarkdown(p func(string, ...any)) {
	s := r.Storm
	if s == nil {
		return
	}
	p("\n## A storm: write rate per partition (no AWS)\n\n")
	p("The storm preset (`scenario.Storm`, seed %d): %d alerts in %d s of alert time (peak %d alerts/s), %d from %d scanners, %d campaigns. "+
		"Posted as generic webhooks of %d alerts through the real normaliser and `dynamostore.EncodeAlert`; correlated by the real engine and service "+
		"(`correlate.Service`) on its in-memory state in stream batches of 100; every write DynamoDB would take metered by partition key and second of alert time "+
		"at the encoders' item sizes, billed as DynamoDB bills (1 WRU per started KB, ×2 in a transaction, each index at the projected size). %.1f s of wall time.\n\n",
		s.Seed, s.Alerts, s.Seconds, s.PeakAlerts, r.stormProbes(), s.Scanners, s.Campaigns, StormPerRequest, s.WallSeconds)
	p("| Index | Hottest partition key | Peak WRU/s | Mean WRU/s | Writes | Share of the %d WRU/s partition limit at peak |\n|---|---|---|---|---|---|\n", s.LimitWRU)
	for _, h := range s.Hottest {
		p("| %s | `%s` | %.0f | %.0f | %d | %.0f %% |\n", h.Index, h.Key, h.PeakWRU, h.MeanWRU, h.Writes, 100*h.PeakWRU/float64(s.LimitWRU))
	}
	for _, h := range s.Unsharded {
		if h.Index == "gsi1" && !sameLoad(h, s.Hottest) {
			p("| gsi1 without write-sharding | `%s` | %.0f | %.0f | %d | %.0f %% |\n", h.Key, h.PeakWRU, h.MeanWRU, h.Writes, 100*h.PeakWRU/float64(s.LimitWRU))
		}
	}
	p("\nThe time index's busiest partition keys:")
	for _, h := range s.TimeIndex[:min(6, len(s.TimeIndex))] {
		p(" `%s` %.0f WRU/s at peak (mean %.0f);", h.Key, h.PeakWRU, h.MeanWRU)
	}
	p(" %d keys in all.\n", len(s.TimeIndex))
	p("\nThe table and its indexes together: %.0f WRU/s at peak, %.0f on average (an on-demand table's default ceiling is 40,000 WRU/s).\n",
		s.PeakWRU, (s.TableWRU+s.IndexWRU)/float64(max(1, s.Seconds)))
	p("\nCorrelator: %d stream batches of new alerts, %d transactions (units), %d conflicts, %d alerts failed; %d alert items rewritten with their incident (each also a MODIFY record the correlator's filter lets through and its handler drops).\n\n",
		s.Batches, s.Units, s.Conflicts, s.Failed, s.Assignments)
	q := s.Quality
	p("Quality: %d of %d campaigns detected (recall %.3f, precision %.3f), %d incidents, %d of them mostly noise; %d of %d scanner IPs marked noisy, %d of the %d scanner probes inside an incident.\n\n",
		q.Detected, q.Campaigns, q.Recall, q.Precision, q.Incidents, q.False, s.NoisyScanners, s.Scanners, s.ScannerInIncidents, r.stormProbes())
	p("Cost of the storm at list prices: %s (table writes %s, index writes %s, reads %s, API Gateway requests %s); %.1f WRU and %.1f RRU per alert. Lambda and logs are not counted here (cents per million alerts, see the cost section).\n",
		usd(s.Bill.Total), usd(s.Bill.TableWrites), usd(s.Bill.IndexWrites), usd(s.Bill.Reads), usd(s.Bill.Requests),
		(s.TableWRU+s.IndexWRU)/float64(max(1, s.Accepted)), s.RRU/float64(max(1, s.Accepted)))
}

func sameLoad(h PartitionLoad, in []PartitionLoad) bool {
	for _, x := range in {
		if x.Index == h.Index && x.Key == h.Key {
			return true
		}
	}
	return false
}

// stormProbes is the scanner alerts of the storm preset (ten scanners ×
// 4,000 probes, or the short run's).
func (r *Report) stormProbes() int {
	c := StormConfig(r.Storm.Seed, r.Short)
	return c.Scanners * c.ScanTargets
}

func usd(v float64) string { return fmt.Sprintf("$%.4f", v) }
