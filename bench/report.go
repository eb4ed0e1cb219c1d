package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

// Machine describes where the report was measured.
type Machine struct {
	NProc      int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPU        string `json:"cpu"`
	GoVersion  string `json:"goVersion"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	MemTotal   string `json:"memTotal,omitempty"`
	Moto       string `json:"moto,omitempty"`
	// LoadStart and LoadEnd are /proc/loadavg at the start and the end of
	// the run: other work on the machine skews every timing.
	LoadStart string `json:"loadStart,omitempty"`
	LoadEnd   string `json:"loadEnd,omitempty"`
}

// LoadAvg returns the first three fields of /proc/loadavg.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// DescribeMachine reads the machine's facts.
func DescribeMachine() Machine {
	m := Machine{NProc: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, LoadStart: LoadAvg()}
	m.CPU = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(strings.TrimPrefix(string(out), "go version "))
	}
	if out, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output(); err == nil {
		m.Moto = strings.TrimSpace(string(out))
	}
	return m
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// QualityRow is one grouper's score on the scenario.
type QualityRow struct {
	Grouper string         `json:"grouper"`
	Seed    uint64         `json:"seed"`
	Rule    string         `json:"rule"`
	Result  quality.Result `json:"result"`
	Seconds float64        `json:"seconds"`
	Error   string         `json:"error,omitempty"`
}

// ScenarioSummary describes the generated scenario.
type ScenarioSummary struct {
	Seed          uint64         `json:"seed"`
	Alerts        int            `json:"alerts"`
	Campaigns     int            `json:"campaigns"`
	MultiResource int            `json:"multiResourceCampaigns"`
	Repeats       int            `json:"repeatCampaigns"`
	Overlaps      int            `json:"overlappingCampaigns"`
	CampaignAlert int            `json:"campaignAlerts"`
	NoiseAlerts   int            `json:"noiseAlerts"`
	Scanners      int            `json:"scanners"`
	ScanTargets   int            `json:"scanTargets"`
	Providers     map[string]int `json:"providers"`
	OutOfOrder    int            `json:"outOfOrderDeliveries"`
	SpanDays      float64        `json:"spanDays"`
}

// Summarise describes sc.
func Summarise(sc *scenario.Scenario) ScenarioSummary {
	s := ScenarioSummary{Seed: sc.Config.Seed, Alerts: len(sc.Alerts), Campaigns: len(sc.Campaigns),
		Scanners: len(sc.Scanners), ScanTargets: sc.Config.ScanTargets, Providers: map[string]int{},
		SpanDays: sc.Config.Span.Hours() / 24}
	for _, c := range sc.Campaigns {
		s.CampaignAlert += len(c.AlertIDs)
		if c.RepeatOf != "" {
			s.Repeats++
		}
		if c.OverlapOf != "" {
			s.Overlaps++
		}
		inst := 0
		for _, r := range c.Resources {
			if strings.HasPrefix(r, "i-") {
				inst++
			}
		}
		if inst > 1 {
			s.MultiResource++
		}
	}
	s.NoiseAlerts = sc.NoiseCount()
	for i, a := range sc.Alerts {
		s.Providers[a.Provider]++
		if i > 0 && a.FirstSeen.Before(sc.Alerts[i-1].FirstSeen) {
			s.OutOfOrder++
		}
	}
	return s
}

// Target is one of issue 8's targets with the measured figure.
type Target struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	// Status is "met", "missed" or "not measured".
	Status string `json:"status"`
}

// Report is everything one run measured.
type Report struct {
	Date     time.Time       `json:"date"`
	Machine  Machine         `json:"machine"`
	Short    bool            `json:"short"`
	Scenario ScenarioSummary `json:"scenario"`
	Quality  []QualityRow    `json:"quality"`
	// QualitySeeds holds the rows of every scored seed (the first seed's
	// rows included).
	QualitySeeds []QualityRow       `json:"qualitySeeds,omitempty"`
	Cost         []CostResult       `json:"cost"`
	Normalize    []NormResult       `json:"normalize"`
	Engine       []EngineResult     `json:"engine"`
	GoBench      []GoBench          `json:"goBenchmarks"`
	E2E          *E2EResult         `json:"endToEnd,omitempty"`
	Memory       *MemoryResult      `json:"emulatorMemory,omitempty"`
	ColdStart    []ColdStart        `json:"coldStart"`
	Targets      []Target           `json:"targets"`
	Errors       map[string]string  `json:"errors,omitempty"`
	Sections     map[string]float64 `json:"sectionSeconds"`
	Seconds      float64            `json:"seconds"`
}

func status(measured bool, ok bool) string {
	switch {
	case !measured:
		return "not measured"
	case ok:
		return "met"
	}
	return "missed"
}

// ComputeTargets fills r.Targets from the measurements.
func (r *Report) ComputeTargets() {
	r.Targets = nil
	var muster, res, ent *QualityRow
	for i := range r.Quality {
		switch r.Quality[i].Grouper {
		case "Muster":
			muster = &r.Quality[i]
		case "By resource":
			res = &r.Quality[i]
		case "By entity (5h)":
			ent = &r.Quality[i]
		}
	}
	{
		t := Target{Name: "Grouping F1 above both baselines", Target: "Muster F1 > by-resource and > by-entity"}
		ok := muster != nil && res != nil && ent != nil && muster.Error == ""
		if ok {
			t.Measured = fmt.Sprintf("Muster %.3f, by resource %.3f, by entity %.3f", muster.Result.F1, res.Result.F1, ent.Result.F1)
		}
		t.Status = status(ok, ok && muster.Result.F1 > res.Result.F1 && muster.Result.F1 > ent.Result.F1)
		r.Targets = append(r.Targets, t)
	}
	if st := seedStats(r.QualitySeeds); len(st) > 0 && st[0].n > 1 {
		t := Target{Name: fmt.Sprintf("Grouping F1 above both baselines on each of %d seeds", st[0].n), Target: "Muster F1 > both baselines per seed"}
		var parts []string
		all := true
		for _, x := range st[1:] {
			if x.name != "By resource" && x.name != "By entity (5h)" {
				continue
			}
			parts = append(parts, fmt.Sprintf("beats %s on %s", x.name, x.beaten))
			all = all && strings.HasPrefix(x.beaten, fmt.Sprintf("%d /", x.n))
		}
		t.Measured = strings.Join(parts, "; ")
		t.Status = status(true, all)
		r.Targets = append(r.Targets, t)
	}
	var gd *NormResult
	for i := range r.Normalize {
		if r.Normalize[i].Provider == "guardduty" && r.Normalize[i].Alerts > 0 {
			gd = &r.Normalize[i]
		}
	}
	{
		t := Target{Name: "GuardDuty normalisation throughput", Target: "≥ 100,000 alerts/s per core"}
		if gd != nil {
			t.Measured = fmt.Sprintf("%s alerts/s", thousands(gd.AlertsPerSec))
		}
		t.Status = status(gd != nil, gd != nil && gd.AlertsPerSec >= 100000)
		r.Targets = append(r.Targets, t)
		t = Target{Name: "GuardDuty normalisation vs json.Unmarshal floor", Target: "within 2× of the floor"}
		if gd != nil {
			t.Measured = fmt.Sprintf("%.2f× (%.0f ns vs %.0f ns per alert)", gd.Ratio, gd.NsPerAlert, gd.FloorNsPerAl)
		}
		t.Status = status(gd != nil, gd != nil && gd.Ratio <= 2)
		r.Targets = append(r.Targets, t)
	}
	for _, e := range r.Engine {
		t := Target{Name: fmt.Sprintf("Engine throughput, %s alerts of state", thousands(float64(e.State))), Target: "≥ 250,000 alerts/s per core",
			Measured: fmt.Sprintf("%s alerts/s", thousands(e.AlertsPerSec)), Status: status(true, e.AlertsPerSec >= 250000)}
		r.Targets = append(r.Targets, t)
	}
	if len(r.Engine) == 0 {
		r.Targets = append(r.Targets, Target{Name: "Engine throughput", Target: "≥ 250,000 alerts/s per core", Status: "not measured"})
	}
	{
		t := Target{Name: "DynamoDB writes per alert, 20-alert campaign", Target: "≤ 3 on average"}
		var c *CostResult
		for i := range r.Cost {
			if r.Cost[i].Name == CostCampaign {
				c = &r.Cost[i]
			}
		}
		ok := c != nil && c.Accepted > 0 && c.Alerts == 20
		if ok {
			t.Measured = fmt.Sprintf("%.2f items written per alert (floor %.2f)", c.WritesPerAlert, c.FloorPerAlert)
		}
		t.Status = status(ok, ok && c.WritesPerAlert <= 3)
		r.Targets = append(r.Targets, t)
	}
	for _, c := range r.ColdStart {
		t := Target{Name: "bootstrap size, " + c.Function, Target: "< 12 MB"}
		ok := c.SizeBytes > 0
		if ok {
			t.Measured = fmt.Sprintf("%.2f MB", float64(c.SizeBytes)/1e6)
		}
		t.Status = status(ok, ok && c.SizeBytes < 12e6)
		r.Targets = append(r.Targets, t)
	}
	{
		t := Target{Name: "make bench wall time", Target: "< 15 minutes on 2 cores"}
		t.Measured = fmt.Sprintf("%.0f s (report command)", r.Seconds)
		t.Status = status(r.Seconds > 0 && !r.Short, r.Seconds < 15*60)
		r.Targets = append(r.Targets, t)
	}
}

// CostCampaign names the cost run of one 20-alert campaign.
const CostCampaign = "one 20-alert campaign"

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# Muster measurement report\n\n")
	p("Generated by `make bench` (`go run ./bench/cmd/report`) on %s in %.0f s.", r.Date.UTC().Format("2006-01-02 15:04 UTC"), r.Seconds)
	if r.Short {
		p(" **Short run (tiny sizes): figures are a smoke test, not measurements.**")
	}
	p("\n\n## Machine\n\n| | |\n|---|---|\n")
	p("| CPU | %s |\n| nproc | %d (GOMAXPROCS %d) |\n| Memory | %s |\n| Go | %s |\n| OS/arch | %s/%s |\n| moto | %s |\n| Load average (1/5/15 min) at start / end | %s / %s |\n\n",
		r.Machine.CPU, r.Machine.NProc, r.Machine.GOMAXPROCS, r.Machine.MemTotal, r.Machine.GoVersion, r.Machine.OS, r.Machine.Arch, r.Machine.Moto,
		r.Machine.LoadStart, r.Machine.LoadEnd)

	p("## Targets (issue 8)\n\n| Target | Goal | Measured | Status |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		mark := map[string]string{"met": "✅ met", "missed": "❌ missed"}[t.Status]
		if mark == "" {
			mark = t.Status
		}
		p("| %s | %s | %s | %s |\n", t.Name, t.Target, dash(t.Measured), mark)
	}

	s := r.Scenario
	p("\n## Correlation quality\n\nScenario (seed %d): %d alerts over %.0f days — %d campaigns (%d across several instances, %d repeat attacks on an earlier campaign's resource ≥ 72 h later, %d second attackers on a running campaign's resource) holding %d alerts; %d noise alerts including %d scanners × %d resources; %d deliveries out of firstSeen order. Providers: %s.\n\n",
		s.Seed, s.Alerts, s.SpanDays, s.Campaigns, s.MultiResource, s.Repeats, s.Overlaps, s.CampaignAlert, s.NoiseAlerts, s.Scanners, s.ScanTargets, s.OutOfOrder, providers(s.Providers))
	p("| Grouper | Precision | Recall | F1 | Attacks detected | Missed | Incidents | Noise reduction (alerts ÷ incidents) | Alerts per incident | Alerts left ungrouped | Noise alerts in incidents |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, q := range r.Quality {
		x := q.Result
		if q.Error != "" {
			p("| %s | error: %s |||||||||| \n", q.Grouper, q.Error)
			continue
		}
		p("| %s | %.3f | %.3f | **%.3f** | %d / %d | %d | %d | %.1f | %.1f | %d | %d |\n", q.Grouper, x.Precision, x.Recall, x.F1,
			x.Detected, x.Campaigns, x.Missed, x.Incidents, x.NoiseReduced, x.AlertsPerInc, x.Ungrouped, x.NoiseInInc)
	}
	if seeds := seedStats(r.QualitySeeds); len(seeds) > 0 && seeds[0].n > 1 {
		p("\nAcross %d seeds (%d–%d), same configuration:\n\n| Grouper | Mean F1 | Min F1 | Max F1 | Mean precision | Mean recall | Attacks missed (total) | Seeds where Muster's F1 is higher |\n|---|---|---|---|---|---|---|---|\n",
			seeds[0].n, seeds[0].minSeed, seeds[0].maxSeed)
		for _, st := range seeds {
			p("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %d | %s |\n", st.name, st.meanF1, st.minF1, st.maxF1, st.meanP, st.meanR, st.missed, st.beaten)
		}
	}
	p("\nRules:\n\n")
	for _, q := range r.Quality {
		p("- **%s**: %s\n", q.Grouper, q.Rule)
	}
	p("\nMetrics (shared/quality): pairwise precision and recall over alert pairs in one incident vs one campaign (noise alerts are singletons in the truth; alerts in no incident are singletons in the prediction); an attack is detected when one incident holds more than half of its alerts.\n")

	p("\n## Cost per alert (DynamoDB on moto, EventBridge entries)\n\n")
	p("Alerts posted as generic webhooks (50 per request) to the real ingest handler; the table's stream read and delivered to the real correlator (batches of 100, its filter) and responder (batches of 50, its filters), which publishes to a real bus on moto; every AWS call of the three handlers metered by an SDK middleware.\n\n")
	p("| Run | Alerts accepted | Incidents (events) | DynamoDB calls / alert | Items read / alert | Items written / alert | Floor writes / alert | RCU / alert | WCU / alert | EventBridge entries | Entries / incident | Failed records |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cost {
		p("| %s | %d / %d | %d (%d committed) | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.2f | %d |\n", c.Name, c.Accepted, c.Alerts, c.Incidents, c.IncidentsCommitted,
			c.CallsPerAlert, c.ReadsPerAlert, c.WritesPerAlert, c.FloorPerAlert, c.RCUPerAlert, c.WCUPerAlert, c.EventEntries, c.EntriesPerIncident, c.FailedRecords)
	}
	for _, c := range r.Cost {
		p("\nCalls in run \"%s\" (%.1f s on moto):\n\n| Component | Service | Operation | Calls | Items | Mean latency on moto |\n|---|---|---|---|---|---|\n", c.Name, c.Seconds)
		for _, o := range c.Ops {
			p("| %s | %s | %s | %d | %d | %.0f ms |\n", o.Component, o.Service, o.Operation, o.Calls, o.Items, 1000*o.Seconds/float64(max(1, o.Calls)))
		}
	}
	p("\nFloor = one write per alert plus one write per incident (group) item changed per correlator batch. Capacity units are moto's ConsumedCapacity figures (ReturnConsumedCapacity TOTAL); moto does not model item sizes or index writes the way DynamoDB bills them, so treat RCU/WCU as indicative and the item counts as exact.\n")

	p("\n## Speed\n\n### Normalisation (one goroutine = one core)\n\n| Provider | Payloads | Alerts / pass | Alerts/s | ns / alert | allocs / alert | B / alert | json.Unmarshal floor alerts/s | Ratio to floor |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.Normalize {
		if n.Alerts == 0 {
			p("| %s | — | — | %s ||||||\n", n.Provider, n.Note)
			continue
		}
		p("| %s | %d | %d | %s | %.0f | %.1f | %.0f | %s | %.2f× |\n", n.Provider, n.Payloads, n.Alerts, thousands(n.AlertsPerSec), n.NsPerAlert,
			n.AllocsPerAlert, n.BytesPerAlert, thousands(n.FloorPerSec), n.Ratio)
	}
	p("\nPayloads: events/samples/<provider>/*.json (what ingest's golden tests use); floor: `json.Unmarshal` of the same bytes into `any`.\n")
	p("\n### Correlation engine (one goroutine)\n\n| Alerts of state | Measured alerts | Alerts/s | ns / alert | allocs / alert | Groups in state | Key-day records | State heap | Bytes / group | Load time |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range r.Engine {
		p("| %s | %s | %s | %.0f | %.1f | %s | %s | %.1f MB | %.0f | %.1f s |\n", thousands(float64(e.State)), thousands(float64(e.Measured)), thousands(e.AlertsPerSec),
			e.NsPerAlert, e.AllocsPerAlert, thousands(float64(e.Groups)), thousands(float64(e.KeyDays)), float64(e.StateBytes)/1e6, e.BytesPerGroup, e.LoadSeconds)
	}
	for i := len(r.Engine) - 1; i >= 0; i-- {
		if e := r.Engine[i]; e.MaxKeyDayEntries > 0 {
			p("\nLargest key-day record with %s alerts of state: %d entries, %s bytes of JSON (%.0f bytes per entry; key %s). The engine caps a record at %d entries (about %s KB at this size, under DynamoDB's 400 KB item limit); later alerts still link through the key but are not added.\n",
				thousands(float64(e.State)), e.MaxKeyDayEntries, thousands(float64(e.MaxKeyDayBytes)), e.BytesPerEntry, e.MaxKeyDayKey,
				correlate.MaxEntriesPerKeyDay, thousands(float64(correlate.MaxEntriesPerKeyDay)*e.BytesPerEntry/1024))
			break
		}
	}
	p("\nState: the first N alerts of a scaled default scenario (same density, longer span) applied and committed to the engine's in-memory store (correlate.Memory); measured: the next alerts in delivery order, in stream batches of 100 (Apply + CommitAll).\n")

	if e := r.E2E; e != nil {
		p("\n### End to end through the local stack\n\n")
		p("localstack/runner started in-process on moto (loopback only), stream poll interval %s.\n\n", e.PollInterval)
		p("Under load the pipeline is bound by moto, not by Muster: moto deep-copies the whole table for every item of a TransactWriteItems call (its rollback copy; see the mean latencies in \"Cost per alert\"), so the correlator's transactions take hundreds of milliseconds each and the backlog grows; the paced figures are the latency of one attack through an idle stack.\n\n")
		p("| Measure | Value |\n|---|---|\n")
		p("| Paced attacks (one at a time) | %d |\n| p50 POST → Incident Created | %.0f ms |\n| p95 POST → Incident Created | %.0f ms |\n", e.PacedAttacks, e.PacedP50Ms, e.PacedP95Ms)
		p("| Load: attacks × 2 alerts, clients | %d × 2, %d clients |\n| Requests / alerts accepted | %d / %d |\n| Ingest alerts/s (HTTP accepted) | %.0f |\n| Pipeline alerts/s (first POST → last incident event) | %.0f |\n| p50 / p95 under load | %.0f / %.0f ms |\n| Missing events / request errors | %d / %d |\n",
			e.Attacks, e.Workers, e.Requests, e.Alerts, e.IngestPerSec, e.PipelinePerSec, e.LoadP50Ms, e.LoadP95Ms, e.Missing, e.Errors)
	}

	if m := r.Memory; m != nil {
		p("\n### Emulator memory through the local stack\n\n")
		p("A generated day of %d alerts posted to the local stack (its own moto_server, the state kept), moto's resident set size (VmRSS) sampled every second until the pipeline was idle. The runner restarts moto from a snapshot at an idle moment when it holds more than MUSTER_MOTO_MAX_MB (768 MB by default) (see docs/operations.md).\n\n", m.Alerts)
		p("| Measure | Value |\n|---|---|\n| Start / peak / end RSS | %.0f / %.0f / %.0f MB |\n| moto restarts | %d |\n| Seconds until idle | %.0f (caught up: %v) |\n| Table items (JSON) | %d (%.1f MB) |\n| Stream records (bytes) | %d (%.1f MB) |\n",
			m.StartMB, m.PeakMB, m.EndMB, m.MotoRestarts, m.Seconds, m.Correlated, m.TableItems, m.TableMB, m.StreamRecs, m.StreamMB)
	}

	p("\n## Cold start\n\n| Function | bootstrap (linux/arm64) | Host build (%s) | Runs | Median exec → first Runtime API poll | Min | Max | Failures |\n|---|---|---|---|---|---|---|---|\n", runtime.GOARCH)
	for _, c := range r.ColdStart {
		p("| %s | %.2f MB | %.2f MB | %d | %.1f ms | %.1f ms | %.1f ms | %d |\n", c.Function, float64(c.SizeBytes)/1e6, float64(c.HostSizeBytes)/1e6, c.Runs, c.MedianMs, c.MinMs, c.MaxMs, c.Failures)
	}
	p("\nBuilt with `make build`'s flags (CGO off, `-tags lambda.norpc -trimpath -ldflags='-s -w'`); timed by exec'ing the host-architecture build with AWS_LAMBDA_RUNTIME_API pointing at a minimal Runtime API served by the harness. This is process start + Go runtime init + the handler's FromEnv, not Lambda's sandbox start.\n")

	if len(r.GoBench) > 0 {
		p("\n## Go benchmarks (`go test -bench`)\n\n| Package | Benchmark | N | Metrics |\n|---|---|---|---|\n")
		for _, g := range r.GoBench {
			var ms []string
			keys := make([]string, 0, len(g.Metrics))
			for k := range g.Metrics {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				ms = append(ms, fmt.Sprintf("%s %s", trimFloat(g.Metrics[k]), k))
			}
			p("| %s | %s | %d | %s |\n", strings.TrimPrefix(g.Package, "github.com/muster-sec/muster/"), g.Name, g.N, strings.Join(ms, ", "))
		}
	}
	if len(r.Errors) > 0 {
		p("\n## Errors\n\n")
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p("- **%s**: %s\n", k, strings.ReplaceAll(r.Errors[k], "\n", " "))
		}
	}
	p("\n## Section times\n\n")
	keys := make([]string, 0, len(r.Sections))
	for k := range r.Sections {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p("- %s: %.1f s\n", k, r.Sections[k])
	}
	return b.String()
}

func trimFloat(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.3g", v)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func providers(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(out, ", ")
}

type seedStat struct {
	name                 string
	n                    int
	minSeed, maxSeed     uint64
	meanF1, minF1, maxF1 float64
	meanP, meanR         float64
	missed               int
	beaten               string
}

// seedStats summarises the quality rows per grouper across seeds, in the
// order the groupers first appear.
func seedStats(rows []QualityRow) []seedStat {
	var order []string
	by := map[string][]QualityRow{}
	muster := map[uint64]float64{}
	for _, q := range rows {
		if _, ok := by[q.Grouper]; !ok {
			order = append(order, q.Grouper)
		}
		by[q.Grouper] = append(by[q.Grouper], q)
		if q.Grouper == "Muster" {
			muster[q.Seed] = q.Result.F1
		}
	}
	var out []seedStat
	for _, name := range order {
		qs := by[name]
		st := seedStat{name: name, n: len(qs), minF1: 2, minSeed: qs[0].Seed, maxSeed: qs[0].Seed}
		wins := 0
		for _, q := range qs {
			st.meanF1 += q.Result.F1 / float64(len(qs))
			st.meanP += q.Result.Precision / float64(len(qs))
			st.meanR += q.Result.Recall / float64(len(qs))
			st.minF1, st.maxF1 = min(st.minF1, q.Result.F1), max(st.maxF1, q.Result.F1)
			st.minSeed, st.maxSeed = min(st.minSeed, q.Seed), max(st.maxSeed, q.Seed)
			st.missed += q.Result.Missed
			if muster[q.Seed] > q.Result.F1 {
				wins++
			}
		}
		st.beaten = fmt.Sprintf("%d / %d", wins, len(qs))
		if name == "Muster" {
			st.beaten = "—"
		}
		out = append(out, st)
	}
	return out
}
