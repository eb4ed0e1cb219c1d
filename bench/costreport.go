package bench

import (
	"fmt"
	"strings"

	"github.com/muster-sec/muster/bench/awsbill"
)

// dollarsMarkdown renders what a million alerts cost on AWS, part by part,
// next to Security Hub's ingestion price for a million findings.
func (r *Report) dollarsMarkdown(p func(string, ...any)) {
	if len(r.Cost) == 0 {
		return
	}
	p("\n## What a million alerts cost on AWS (us-east-1 list prices, no free tier)\n\n")
	p("| Run | DynamoDB writes | DynamoDB index writes | DynamoDB reads | Lambda | EventBridge | API Gateway | CloudWatch Logs | **Total per million alerts** |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cost {
		b := c.Bill.PerMillion
		p("| %s | $%.2f | $%.2f | $%.2f | $%.2f | $%.2f | $%.2f | $%.2f | **$%.2f** |\n", c.Name, b.DynamoWrites, b.DynamoIndex, b.DynamoReads,
			b.Lambda, b.EventBridge, b.APIGateway, b.Logs, c.Bill.TotalPerMillion)
	}
	p("| Security Hub (CSPM) ingesting a million findings | | | | | | | | **$%.2f** |\n", 1e6*awsbill.PriceSecurityHubEvent.USD)
	p("\n| Run | WRU / alert (table + indexes) | Index writes / alert | RRU / alert | Events / alert | REST requests / alert | Log bytes / alert | Writes without a stream record |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cost {
		u, n := c.Bill.Usage, float64(max(1, c.Accepted))
		p("| %s | %.2f (%.2f + %.2f) | %.2f | %.2f | %.3f | %.3f | %.0f | %d of %d |\n", c.Name, c.Bill.WRUPerAlert, u.TableWRU/n, u.IndexWRU/n,
			float64(c.Bill.IndexWrites)/n, c.Bill.RRUPerAlert, u.Events/n, u.RESTRequests/n, c.Bill.LogBytesPerAlert, c.Bill.Unmatched, c.Bill.ItemWrites)
	}
	p("\n### Lambda time per alert\n\n| Run | Function | Memory | Invocations | ms / invocation on moto | of which waiting on AWS calls (waits) | estimate on AWS, ms / invocation | ms / alert | GB-s / alert | GB-s / alert at moto's time |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cost {
		n := float64(max(1, c.Accepted))
		for _, f := range c.Bill.Functions {
			inv := float64(max(1, f.Invocations))
			p("| %s | %s | %d MB | %d | %.1f | %.1f (%.1f) | %.1f | %.2f | %.6f | %.6f |\n", c.Name, f.Function, f.MemoryMB, f.Invocations, f.MotoMs/inv,
				f.AWSMs/inv, float64(f.Rounds)/inv, f.Ms/inv, f.MsPerAlert, f.GBsPerAlert, f.MotoGBs/n)
		}
	}
	p("\nHow: every item write the meter saw is matched to the item's next stream record (NEW_AND_OLD_IMAGES), whose images give the sizes DynamoDB bills (the larger of before and after, per started KB; ×2 in a transaction) and the index keys before and after (each index whose key the item has is written at the item's size, ALL projection; a key change is a delete and a put). Writes without a stream record (a failed condition, an unchanged item) are billed at the item's last known size. Reads are billed by the sizes returned (per started 4 KB, half when eventually consistent). Lambda time is estimated from each handler call's wall time in this process against moto: the time outside AWS calls, plus each wait on AWS calls as measured but at most %d ms (calls that overlap are one wait; DynamoDB answers in single-digit milliseconds), because moto's transactions take hundreds of milliseconds and would make the correlator look a hundred times dearer than it is; the last column prices moto's time as measured, an upper bound. Logs are the handlers' slog JSON; Lambda's own START/END/REPORT lines are not counted. The query function is not exercised by this run.\n\nPrices:\n\n", AssumedCallMs)
	for _, pr := range awsbill.AllPrices {
		p("- %s: $%s per %s (%s, read %s)\n", pr.Name, strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.10f", pr.USD), "0"), "."), pr.Per, pr.Source, pr.Read)
	}
}

// lambdaRows reports each function's Lambda time and GB-s per alert in
// the 20-alert campaign: a figure, not a target (normalisation and engine
// speed, tens of microseconds per alert, decide nothing against the
// milliseconds of a DynamoDB call).
func (r *Report) lambdaRows() []Target {
	var out []Target
	for _, c := range r.Cost {
		if c.Name != CostCampaign {
			continue
		}
		for _, f := range c.Bill.Functions {
			out = append(out, Target{Name: "Lambda time per alert, " + f.Function, Target: "reported, no target",
				Measured: fmt.Sprintf("%.2f ms, %.6f GB-s per alert at %d MB (estimate on AWS from the run on moto)", f.MsPerAlert, f.GBsPerAlert, f.MemoryMB), Status: "measured"})
		}
	}
	return out
}
