package bench

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/bench/awsbill"
	"github.com/muster-sec/muster/shared/awsmeter"
)

// TestBillCost prices a small run: an alert put into two indexes, its
// incident assignment (an update that adds the third index key, sized by
// its stream images), a failed duplicate put, a transactional key-day
// write, a condition check, a batch read with a miss and one event.
func TestBillCost(t *testing.T) {
	alert := "ALERT#a|ALERT"
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	calls := []awsmeter.Call{
		{Component: "ingest", Service: "DynamoDB", Operation: "PutItem", Keys: []string{alert}, WriteSizes: []int{1500}, Start: at(1), Seconds: 0.004},
		{Component: "ingest", Service: "DynamoDB", Operation: "PutItem", Keys: []string{alert}, WriteSizes: []int{1500}, Failed: true, Start: at(5), Seconds: 0.001},
		{Component: "correlator", Service: "DynamoDB", Operation: "BatchGetItem", ReadSizes: []int{5000, 100}, Missing: 1, Start: at(21), Seconds: 0.005},
		{Component: "correlator", Service: "DynamoDB", Operation: "TransactWriteItems", Keys: []string{"KEY#k|DAY#d"}, WriteSizes: []int{900},
			Checked: []string{alert}, Start: at(22), Seconds: 0.010},
		{Component: "correlator", Service: "DynamoDB", Operation: "UpdateItem", Keys: []string{alert}, WriteSizes: []int{0}, Start: at(40), Seconds: 0.002},
		{Component: "responder", Service: "EventBridge", Operation: "PutEvents", EntryBytes: []int{2000}},
	}
	two := []awsbill.IndexKey{"t|1", "", "r|1"}
	images := map[string][]imageWrite{
		alert:         {{after: 1500, changed: true, idxBefore: []awsbill.IndexKey{"", "", ""}, idxAfter: two}, {before: 1500, after: 1540, changed: true, idxBefore: two, idxAfter: []awsbill.IndexKey{"t|1", "i|1", "r|1"}}},
		"KEY#k|DAY#d": {{after: 900, changed: true}},
	}
	res := CostResult{Accepted: 1}
	invs := []invocation{{"ingest", t0, at(9.2)}, {"correlator", at(20), at(50)}}
	billCost(&res, calls, runTally{images: images, invocations: invs, restRequests: 1, logBytes: 400})
	b := res.Bill
	// Table: put 2 + failed put 2 + transactional 900 B 2 + condition check of the 1,500-byte alert ×2 = 4 + update 2.
	// Indexes: put into gsi1 and gsi3 (2 + 2), update rewrites gsi1 and gsi3 and adds gsi2 (2 + 2 + 2).
	// Lambda on AWS: ingest's one wait of 5 ms stays (under 10 ms): 9.2 ms,
	// billed 10 ms at 512 MB; correlator 30 ms less 11 + 2 ms of calls
	// (two waits: the first two calls overlap), the 11 ms wait capped at
	// 10: 29 ms at 1024 MB.
	want := awsbill.Usage{TableWRU: 12, IndexWRU: 10, RRU: 1 + 0.5 + 0.5, Events: 1, RESTRequests: 1, LogBytes: 400,
		LambdaGBs: 0.010*0.5 + 0.029*1, LambdaRequests: 2}
	if math.Abs(b.Usage.LambdaGBs-want.LambdaGBs) > 1e-12 {
		t.Errorf("Lambda GB-s = %v, want %v", b.Usage.LambdaGBs, want.LambdaGBs)
	}
	b.Usage.LambdaGBs = want.LambdaGBs
	if b.Usage != want {
		t.Errorf("usage = %+v\nwant    %+v", b.Usage, want)
	}
	if b.ItemWrites != 4 || b.IndexWrites != 5 || b.Unmatched != 1 {
		t.Errorf("item writes %d, index writes %d, unmatched %d; want 4, 5, 1", b.ItemWrites, b.IndexWrites, b.Unmatched)
	}
	if got := b.PerMillion.Total(); math.Abs(got-want.Scale(1e6).Price().Total()) > 1e-6 || got != b.TotalPerMillion {
		t.Errorf("total per million = %v (%v), want %v", got, b.TotalPerMillion, want.Scale(1e6).Price().Total())
	}
	if len(b.Functions) != 2 || b.Functions[0].Function != "correlator" || b.Functions[0].Rounds != 2 || b.Functions[1].AWSMs != 5 {
		t.Errorf("functions = %+v", b.Functions)
	}
}

// TestReportShowsDollars checks the report prints the cost of a million
// alerts with every price's source, and that the speed targets are gone.
func TestReportShowsDollars(t *testing.T) {
	c := CostResult{Name: CostCampaign, Alerts: 20, Accepted: 20}
	billCost(&c, []awsmeter.Call{{Component: "ingest", Service: "DynamoDB", Operation: "PutItem", Keys: []string{"A|1"}, WriteSizes: []int{700}}},
		runTally{invocations: []invocation{{"ingest", time.Unix(0, 0), time.Unix(0, 12e6)}}, restRequests: 1})
	r := &Report{Cost: []CostResult{c}, Normalize: []NormResult{{Provider: "guardduty", Alerts: 1, AlertsPerSec: 1}}, Engine: []EngineResult{{State: 10000, AlertsPerSec: 1}}}
	r.ComputeTargets()
	md := r.Markdown()
	for _, want := range []string{"What a million alerts cost on AWS", "Security Hub (CSPM) ingesting a million findings", "$30.00",
		"Lambda time per alert, ingest", fmt.Sprintf("**$%.2f**", c.Bill.TotalPerMillion)} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, p := range awsbill.AllPrices {
		if !strings.Contains(md, p.Source) {
			t.Errorf("report does not cite %s", p.Source)
		}
	}
	for _, tg := range r.Targets {
		if strings.Contains(tg.Name, "normalisation") || strings.Contains(tg.Name, "Engine throughput") {
			t.Errorf("retired target still reported: %q", tg.Name)
		}
	}
}
