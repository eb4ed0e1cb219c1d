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
		s.Seed, s.Alerts, s.Seconds, s.PeakAlerts, s.Probes, s.Scanners, s.Campaigns, StormPerRequest, s.WallSeconds)
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
	r.stormScaleMarkdown(p)
	p("\nCorrelator: %d stream batches of new alerts, %d transactions (units), %d conflicts, %d alerts failed; %d alert items rewritten with their incident (each also a MODIFY record the correlator's filter lets through and its handler drops).\n\n",
		s.Batches, s.Units, s.Conflicts, s.Failed, s.Assignments)
	q := s.Quality
	p("Quality: %d of %d campaigns detected (recall %.3f, precision %.3f), %d incidents, %d of them mostly noise; %d of %d scanner IPs marked noisy, %d of the %d scanner probes inside an incident.\n\n",
		q.Detected, q.Campaigns, q.Recall, q.Precision, q.Incidents, q.False, s.NoisyScanners, s.Scanners, s.ScannerInIncidents, s.Probes)
	p("Cost of the storm at list prices: %s (table writes %s, index writes %s, reads %s, API Gateway requests %s); %.1f WRU and %.1f RRU per alert. Lambda and logs are not counted here (cents per million alerts, see the cost section).\n",
		usd(s.Bill.Total), usd(s.Bill.TableWrites), usd(s.Bill.IndexWrites), usd(s.Bill.Reads), usd(s.Bill.Requests),
		(s.TableWRU+s.IndexWRU)/float64(max(1, s.Accepted)), s.RRU/float64(max(1, s.Accepted)))
}

// stormScaleMarkdown renders the measured peaks scaled linearly to 10× and
// 100× the storm (the same shape with ten and a hundred times the alerts
// in the same ten minutes), against the limit each meets.
func (r *Report) stormScaleMarkdown(p func(string, ...any)) {
	s := r.Storm
	peak := func(list []PartitionLoad, index string) float64 {
		for _, h := range list {
			if h.Index == index {
				return h.PeakWRU
			}
		}
		return 0
	}
	rows := []struct {
		name  string
		v     float64
		limit float64
	}{
		{"hottest time-index (gsi1) partition key", peak(s.Hottest, "gsi1"), PartitionLimitWRU},
		{"the same without write-sharding", peak(s.Unsharded, "gsi1"), PartitionLimitWRU},
		{"hottest table partition key (an incident item)", peak(s.Hottest, tableIndex), PartitionLimitWRU},
		{"hottest resource-index (gsi3) partition key", peak(s.Hottest, "gsi3"), PartitionLimitWRU},
		{"table and indexes together", s.PeakWRU, 40000},
	}
	p("\n| Peak WRU/s, scaled linearly | Storm | 10× | 100× | Limit |\n|---|---|---|---|---|\n")
	for _, x := range rows {
		p("| %s | %.0f | %s | %s | %.0f |\n", x.name, x.v, over(10*x.v, x.limit), over(100*x.v, x.limit), x.limit)
	}
}

// over renders v, in bold when it exceeds limit.
func over(v, limit float64) string {
	if v > limit {
		return fmt.Sprintf("**%.0f**", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// stormTargets are the storm's targets: no partition key over DynamoDB's
// limit at ten times the storm (its peaks scaled linearly), and every
// campaign found with every scanner marked noisy.
func (r *Report) stormTargets() []Target {
	s := r.Storm
	part := Target{Name: "Storm ×10: hottest partition key at peak", Target: fmt.Sprintf("< %d WRU/s (peaks scaled linearly)", PartitionLimitWRU)}
	found := Target{Name: "Storm: campaigns detected, scanners noisy", Target: "all, all"}
	ok := s != nil && s.Alerts > 0
	if ok {
		hot := PartitionLoad{}
		for _, h := range s.Hottest {
			if h.PeakWRU > hot.PeakWRU {
				hot = h
			}
		}
		part.Measured = fmt.Sprintf("%.0f WRU/s (%s `%s`, %.0f in the storm)", 10*hot.PeakWRU, hot.Index, hot.Key, hot.PeakWRU)
		part.Status = status(true, 10*hot.PeakWRU < PartitionLimitWRU)
		found.Measured = fmt.Sprintf("%d of %d campaigns, %d of %d scanners", s.Quality.Detected, s.Campaigns, s.NoisyScanners, s.Scanners)
		found.Status = status(true, s.Quality.Detected == s.Campaigns && s.NoisyScanners == s.Scanners)
	} else {
		part.Status, found.Status = status(false, false), status(false, false)
	}
	return []Target{part, found}
}

func sameLoad(h PartitionLoad, in []PartitionLoad) bool {
	for _, x := range in {
		if x.Index == h.Index && x.Key == h.Key {
			return true
		}
	}
	return false
}

func usd(v float64) string { return fmt.Sprintf("$%.4f", v) }
