package bench

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/resources"
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
	Grouper string `json:"grouper"`
	Seed    uint64 `json:"seed"`
	// Family is the seed family (FamilyTuned or FamilyUntuned); Noise the
	// scenario's noise model.
	Family string `json:"family"`
	Noise  string `json:"noise"`
	// Detect is the time to detect (Muster groupers only).
	Detect *quality.Detection `json:"timeToDetect,omitempty"`
	// Identical says whether delivery order and shuffled order gave the
	// same partition; ShuffledDiff is the number of alerts whose incident
	// differs (the Muster row only).
	Identical    *bool          `json:"identicalPartitions,omitempty"`
	ShuffledDiff *int           `json:"shuffledDiff,omitempty"`
	Rule         string         `json:"rule"`
	Result       quality.Result `json:"result"`
	Seconds      float64        `json:"seconds"`
	Error        string         `json:"error,omitempty"`
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
	Noise         string         `json:"noise"`
	Patterns      []PatternSize  `json:"patterns"`
}

// PatternSize is one noise pattern's size in the scenario.
type PatternSize struct {
	Name      string `json:"name"`
	Alerts    int    `json:"alerts"`
	Resources int    `json:"resources"`
	Days      int    `json:"days"`
}

// Summarise describes sc.
func Summarise(sc *scenario.Scenario) ScenarioSummary {
	s := ScenarioSummary{Seed: sc.Config.Seed, Alerts: len(sc.Alerts), Campaigns: len(sc.Campaigns),
		Scanners: len(sc.Scanners), ScanTargets: sc.Config.ScanTargets, Providers: map[string]int{},
		SpanDays: sc.Config.Span.Hours() / 24, Noise: sc.Config.Noise.String()}
	for _, p := range sc.Patterns {
		s.Patterns = append(s.Patterns, PatternSize{p.Name, len(p.AlertIDs), p.Resources, p.Days})
	}
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

// Target is one of Muster's performance targets (docs/performance.md)
// with the measured figure.
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
	Storm        *StormResult       `json:"storm,omitempty"`
	Cost         []CostResult       `json:"cost"`
	Normalize    []NormResult       `json:"normalize"`
	Engine       []EngineResult     `json:"engine"`
	GoBench      []GoBench          `json:"goBenchmarks"`
	E2E          *E2EResult         `json:"endToEnd,omitempty"`
	Burst        *BurstResult       `json:"localBurst,omitempty"`
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
	r.Targets = r.qualityTargets()
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
	r.Targets = append(r.Targets, r.stormTargets()...)
	r.Targets = append(r.Targets, r.lambdaRows()...)
	for _, c := range r.ColdStart {
		t := Target{Name: "bootstrap size, " + c.Function, Target: "< 12 MB"}
		ok := c.SizeBytes > 0
		if ok {
			t.Measured = fmt.Sprintf("%.2f MB", float64(c.SizeBytes)/1e6)
		}
		t.Status = status(ok, ok && c.SizeBytes < 12e6)
		r.Targets = append(r.Targets, t)
	}
	if b := r.Burst; b != nil {
		t := Target{Name: "local burst: last POST → last Incident Created", Target: "≤ 60 s (100 attacks × 20 alerts, 4 clients)"}
		ok := b.Attacks == 100 && b.PerAttack == 20 && b.Incidents > 0
		if ok {
			t.Measured = fmt.Sprintf("%.1f s, %.1f alerts/s, %d of %d incidents", b.DrainSeconds, b.AlertsPerSec, b.Incidents, b.Attacks)
		}
		t.Status = status(ok, ok && b.Missing == 0 && b.DrainSeconds <= 60)
		r.Targets = append(r.Targets, t)
	}
	if m := r.Memory; m != nil {
		t := Target{Name: "local stack memory: moto's peak over a day", Target: "< 2 GB for 5,000 alerts"}
		ok := m.Alerts >= 5000 && m.Correlated
		if ok {
			t.Measured = fmt.Sprintf("%.0f MB peak over %d alerts, %d restarts", m.PeakMB, m.Alerts, m.MotoRestarts)
		}
		t.Status = status(ok, ok && m.PeakMB < 2048)
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

	r.targetsMarkdown(p)
	r.qualityMarkdown(p)
	r.stormMarkdown(p)
	r.costMarkdown(p)
	r.dollarsMarkdown(p)
	r.speedMarkdown(p)
	r.e2eMarkdown(p)
	r.burstMarkdown(p)
	r.memoryMarkdown(p)
	r.coldStartMarkdown(p)
	r.goBenchMarkdown(p)
	if len(r.Errors) > 0 {
		p("\n## Errors\n\n")
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			p("- **%s**: %s\n", k, strings.ReplaceAll(r.Errors[k], "\n", " "))
		}
	}
	p("\n## Section times\n\n")
	for _, k := range slices.Sorted(maps.Keys(r.Sections)) {
		p("- %s: %.1f s\n", k, r.Sections[k])
	}
	return b.String()
}

// targetsMarkdown renders the targets table.
func (r *Report) targetsMarkdown(p func(string, ...any)) {
	p("## Targets\n\n| Target | Goal | Measured | Status |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		mark := map[string]string{"met": "✅ met", "missed": "❌ missed"}[t.Status]
		if mark == "" {
			mark = t.Status
		}
		p("| %s | %s | %s | %s |\n", t.Name, t.Target, dash(t.Measured), mark)
	}
}

// costMarkdown renders the cost per alert and each run's calls.
func (r *Report) costMarkdown(p func(string, ...any)) {
	p("\n## Cost per alert (DynamoDB on moto, EventBridge entries)\n\n")
	p("Alerts posted as generic webhooks (50 per request) to the real ingest handler; the table's stream read and delivered to the real correlator (batches of %d, its filter) and responder (batches of %d, its filters), which publishes to a real bus on moto; every AWS call of the three handlers metered by an SDK middleware.\n\n",
		resources.Correlator.BatchSize, resources.Responder.BatchSize)
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
	p("\nFloor = one write per alert plus one write per incident (group) item changed per correlator batch. Capacity units are moto's ConsumedCapacity figures (ReturnConsumedCapacity TOTAL); moto does not model item sizes or index writes the way DynamoDB bills them, so treat RCU/WCU as indicative and the item counts as exact; the next section bills the calls as DynamoDB does.\n")
}

// speedMarkdown renders the normalisation and engine speeds.
func (r *Report) speedMarkdown(p func(string, ...any)) {
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
}

// e2eMarkdown renders the end-to-end run, if there was one.
func (r *Report) e2eMarkdown(p func(string, ...any)) {
	e := r.E2E
	if e == nil {
		return
	}
	p("\n### End to end through the local stack\n\n")
	p("localstack/runner started in-process on moto (loopback only), stream poll interval %s.\n\n", e.PollInterval)
	p("Under load the pipeline is bound by moto, not by Muster (see the mean latencies in \"Cost per alert\"); the paced figures are the latency of one attack through an idle stack.\n\n")
	p("| Measure | Value |\n|---|---|\n")
	p("| Paced attacks (one at a time) | %d |\n| p50 POST → Incident Created | %.0f ms |\n| p95 POST → Incident Created | %.0f ms |\n", e.PacedAttacks, e.PacedP50Ms, e.PacedP95Ms)
	p("| Load: attacks × 2 alerts, clients | %d × 2, %d clients |\n| Requests / alerts accepted | %d / %d |\n| Ingest alerts/s (HTTP accepted) | %.0f |\n| Pipeline alerts/s (first POST → last incident event) | %.0f |\n| p50 / p95 under load | %.0f / %.0f ms |\n| Missing events / request errors | %d / %d |\n",
		e.Attacks, e.Workers, e.Requests, e.Alerts, e.IngestPerSec, e.PipelinePerSec, e.LoadP50Ms, e.LoadP95Ms, e.Missing, e.Errors)
}

// burstMarkdown renders the local burst, if measured.
func (r *Report) burstMarkdown(p func(string, ...any)) {
	b := r.Burst
	if b == nil {
		return
	}
	p("\n### Local burst\n\n")
	p("%d attacks × %d alerts (kill-chain order, one instance each) posted by %d clients, one request per attack, to `make run`'s stack (localstack/runner with its own moto_server); timed from the last POST's answer.\n\n", b.Attacks, b.PerAttack, b.Workers)
	p("| Measure | Value |\n|---|---|\n| Alerts accepted / request errors | %d / %d |\n| Posting (first POST → last answer) | %.1f s |\n| **Last POST → last Incident Created** | **%.1f s** |\n| Last POST → pipeline idle | %.1f s |\n| Correlated alerts/s (first POST → last Incident Created) | %.1f |\n| Incidents created / missing | %d / %d |\n| Alerts parked (dead letters) | %d |\n| moto restarts (memory) | %d |\n",
		b.Alerts, b.Errors, b.PostSeconds, b.DrainSeconds, b.IdleSeconds, b.AlertsPerSec, b.Incidents, b.Missing, b.Parked, b.MotoRestarts)
}

// memoryMarkdown renders the emulator's memory through a day, if measured.
func (r *Report) memoryMarkdown(p func(string, ...any)) {
	m := r.Memory
	if m == nil {
		return
	}
	p("\n### Emulator memory through the local stack\n\n")
	p("A generated day of %d alerts posted to the local stack (its own moto_server, the state kept), moto's resident set size (VmRSS) sampled every second until the pipeline was idle. The runner restarts moto from a snapshot at an idle moment when it holds more than MUSTER_MOTO_MAX_MB (768 MB by default) (see docs/operations.md).\n\n", m.Alerts)
	p("| Measure | Value |\n|---|---|\n| Start / peak / end RSS | %.0f / %.0f / %.0f MB |\n| moto restarts | %d |\n| Seconds until idle | %.0f (caught up: %v) |\n| Table items (JSON) | %d (%.1f MB) |\n| Stream records (bytes) | %d (%.1f MB) |\n",
		m.StartMB, m.PeakMB, m.EndMB, m.MotoRestarts, m.Seconds, m.Correlated, m.TableItems, m.TableMB, m.StreamRecs, m.StreamMB)
}

// coldStartMarkdown renders the cold-start table.
func (r *Report) coldStartMarkdown(p func(string, ...any)) {
	p("\n## Cold start\n\n| Function | bootstrap (linux/arm64) | Host build (%s) | Runs | Median exec → first Runtime API poll | Min | Max | Failures |\n|---|---|---|---|---|---|---|---|\n", runtime.GOARCH)
	for _, c := range r.ColdStart {
		p("| %s | %.2f MB | %.2f MB | %d | %.1f ms | %.1f ms | %.1f ms | %d |\n", c.Function, float64(c.SizeBytes)/1e6, float64(c.HostSizeBytes)/1e6, c.Runs, c.MedianMs, c.MinMs, c.MaxMs, c.Failures)
	}
	p("\nBuilt with `make build`'s flags (CGO off, `-tags lambda.norpc -trimpath -ldflags='-s -w'`); timed by exec'ing the host-architecture build with AWS_LAMBDA_RUNTIME_API pointing at a minimal Runtime API served by the harness. This is process start + Go runtime init + the handler's FromEnv, not Lambda's sandbox start.\n")
}

// goBenchMarkdown renders the Go benchmarks, if any ran.
func (r *Report) goBenchMarkdown(p func(string, ...any)) {
	if len(r.GoBench) == 0 {
		return
	}
	p("\n## Go benchmarks (`go test -bench`)\n\n| Package | Benchmark | N | Metrics |\n|---|---|---|---|\n")
	for _, g := range r.GoBench {
		var ms []string
		for _, k := range slices.Sorted(maps.Keys(g.Metrics)) {
			ms = append(ms, fmt.Sprintf("%s %s", trimFloat(g.Metrics[k]), k))
		}
		p("| %s | %s | %d | %s |\n", strings.TrimPrefix(g.Package, "github.com/muster-sec/muster/"), g.Name, g.N, strings.Join(ms, ", "))
	}
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
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(out, ", ")
}
