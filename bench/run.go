package bench

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/scenario"
)

// Sections lists the report's sections, in the order they run.
var Sections = []string{"quality", "storm", "cost", "normalize", "engine", "e2e", "burst", "memory", "coldstart", "gobench"}

// Options select and size a report run.
type Options struct {
	// Root is the repository root (go commands run there).
	Root string
	Seed uint64
	// Short runs every section at tiny sizes (a smoke test).
	Short bool
	// Skip names sections not to run: quality, storm, cost, normalize, engine,
	// gobench, e2e, burst, memory, coldstart.
	Skip map[string]bool
	// EngineState lists the state sizes of the engine measurement.
	EngineState []int
	// EngineMeasured is the number of alerts timed per state size.
	EngineMeasured int
	// ColdRuns is the number of starts per function.
	ColdRuns int
	// CostScale scales the default scenario for the cost run (1 = the
	// quality scenario itself).
	CostScale float64
	// Seeds is the number of scenarios (seeds Seed, Seed+1, …) of the
	// tuned family (default 1: only Seed).
	Seeds int
	// Untuned is the seed family never tuned on, reported apart (nil: none;
	// the report command passes DefaultUntuned).
	Untuned []uint64
	// BenchTime is go test's -benchtime.
	BenchTime string
	Logger    *slog.Logger
}

// Run measures everything Options select.
func Run(ctx context.Context, o Options) *Report {
	start := time.Now()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := &measurer{o: o, log: o.Logger.With("component", "bench"),
		r: &Report{Date: start.UTC(), Machine: DescribeMachine(), Short: o.Short, Errors: map[string]string{}, Sections: map[string]float64{}}}
	m.cfg = qualityConfig(o.Seed, o.Short, scenario.NoiseRealistic)
	m.sc = scenario.Generate(m.cfg)
	m.r.Scenario = Summarise(m.sc)

	steps := map[string]func(ctx context.Context) error{
		"quality":   m.quality,
		"storm":     m.storm,
		"cost":      withMoto(m.cost),
		"normalize": m.normalize,
		"engine":    m.engine,
		"e2e":       withMoto(m.e2e),
		"burst":     m.burst,
		"memory":    m.memory,
		"coldstart": withMoto(m.coldStart),
		"gobench":   m.goBench,
	}
	for _, name := range Sections {
		m.section(ctx, name, steps[name])
	}

	r := m.r
	r.Seconds = time.Since(start).Seconds()
	r.Machine.LoadEnd = LoadAvg()
	r.ComputeTargets()
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	return r
}

// measurer fills one Report, a section at a time.
type measurer struct {
	o   Options
	log *slog.Logger
	r   *Report
	// cfg and sc are the quality scenario, which normalize measures too.
	cfg scenario.Config
	sc  *scenario.Scenario
}

// section runs one section unless it is skipped, recording its time and
// its error.
func (m *measurer) section(ctx context.Context, name string, f func(ctx context.Context) error) {
	if m.o.Skip[name] {
		return
	}
	m.log.Info("section start", "section", name)
	t := time.Now()
	if err := f(ctx); err != nil {
		m.r.Errors[name] = err.Error()
		m.log.Error("section failed", "section", name, "error", err)
	}
	m.r.Sections[name] = time.Since(t).Seconds()
	m.log.Info("section done", "section", name, "seconds", m.r.Sections[name])
}

// withMoto gives a section its own moto_server, so a server holding earlier
// sections' items (and their stream records, which moto never trims) slows
// no later section.
func withMoto(f func(ctx context.Context, endpoint string) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		srv, err := mototest.Start()
		if err != nil {
			return fmt.Errorf("start moto: %w", err)
		}
		defer srv.Stop()
		return f(ctx, srv.Endpoint)
	}
}

// joinErrors is one error listing msgs, or nil when there are none.
func joinErrors(msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

func (m *measurer) quality(context.Context) error {
	m.r.Quality, m.r.QualitySeeds = scoreFamilies(m.o, m.cfg)
	return nil
}

// storm meters the storm preset's writes per partition (no AWS).
func (m *measurer) storm(ctx context.Context) error {
	r, err := MeasureStorm(ctx, StormConfig(m.o.Seed, m.o.Short))
	m.r.Storm = &r
	return err
}

// cost pushes one campaign, then the mixed scenario, through moto.
func (m *measurer) cost(ctx context.Context, endpoint string) error {
	o := m.o
	one := scenario.Generate(scenario.Config{Seed: o.Seed, Noise: scenario.NoiseLegacy, Campaigns: 1, Overlaps: -1, MinAlerts: 20, MaxAlerts: 20,
		MultiResource: -1, Repeats: -1, NoiseAlerts: -1, Scanners: -1})
	var errs []string
	c, err := RunCost(ctx, CostCampaign, one.Alerts, CostOptions{Endpoint: endpoint})
	if err != nil {
		errs = append(errs, err.Error())
	}
	m.r.Cost = append(m.r.Cost, c)
	mixed := CostScenario(o.Seed, o.CostScale)
	if o.Short {
		mixed = scenario.Generate(scenario.Config{Seed: o.Seed, Noise: scenario.NoiseLegacy, Campaigns: 1, Repeats: -1, MinAlerts: 8, MaxAlerts: 8,
			NoiseAlerts: 10, NoiseResources: 5, Scanners: -1, MultiResource: -1})
	}
	name := fmt.Sprintf("mixed scenario (%d campaigns, %d alerts)", len(mixed.Campaigns), len(mixed.Alerts))
	c, err = RunCost(ctx, name, mixed.Alerts, CostOptions{Endpoint: endpoint})
	if err != nil {
		errs = append(errs, err.Error())
	}
	m.r.Cost = append(m.r.Cost, c)
	return joinErrors(errs)
}

func (m *measurer) normalize(context.Context) error {
	m.r.Normalize = MeasureNormalize(filepath.Join(m.o.Root, "events", "samples"), m.sc)
	return nil
}

// engine times the correlation engine at each state size.
func (m *measurer) engine(context.Context) error {
	sizes, measured := m.o.EngineState, m.o.EngineMeasured
	if m.o.Short {
		sizes, measured = []int{1000}, 1000
	}
	var errs []string
	for _, n := range sizes {
		e, err := MeasureEngine(m.o.Seed, n, measured)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		m.r.Engine = append(m.r.Engine, e)
	}
	return joinErrors(errs)
}

func (m *measurer) e2e(ctx context.Context, endpoint string) error {
	eo := E2EOptions{Endpoint: endpoint}
	if m.o.Short {
		eo.Paced, eo.Attacks, eo.Workers, eo.Timeout = 3, 10, 2, time.Minute
	}
	e, err := MeasureE2E(ctx, eo)
	m.r.E2E = &e
	return err
}

// burst posts 100 attacks of 20 alerts from 4 clients to `make run`'s
// stack (its own moto) and times the last Incident Created event after the
// last POST.
func (m *measurer) burst(ctx context.Context) error {
	bo := BurstOptions{Logger: m.o.Logger}
	if m.o.Short {
		bo.Attacks, bo.PerAttack, bo.Workers, bo.Timeout = 5, 4, 2, 2*time.Minute
	}
	r, err := MeasureBurst(ctx, bo)
	m.r.Burst = &r
	return err
}

// memory posts a generated day to the local stack and samples moto's
// resident set size until the pipeline is idle.
func (m *measurer) memory(ctx context.Context) error {
	mo := MemoryOptions{Alerts: 5000, Logger: m.o.Logger}
	if m.o.Short {
		mo.Alerts = 100
	}
	r, err := MeasureMemory(ctx, mo)
	m.r.Memory = &r
	return err
}

func (m *measurer) coldStart(ctx context.Context, endpoint string) error {
	runs := m.o.ColdRuns
	if m.o.Short {
		runs = 1
	}
	m.r.ColdStart = MeasureColdStart(ctx, m.o.Root, runs, endpoint)
	var errs []string
	for _, c := range m.r.ColdStart {
		if c.Error != "" {
			errs = append(errs, c.Function+": "+c.Error)
		}
	}
	return joinErrors(errs)
}

func (m *measurer) goBench(ctx context.Context) error {
	pkgs, err := BenchPackages(m.o.Root)
	if err != nil {
		return err
	}
	bt := m.o.BenchTime
	if m.o.Short {
		bt = "1x"
	}
	res, err := RunGoBench(ctx, m.o.Root, pkgs, bt, 8*time.Minute)
	m.r.GoBench = res
	return err
}

// CostScenario is the mixed scenario pushed through moto for cost: the
// default scenario's shape at a size moto can take in a minute or two
// (4 campaigns, one repeat, 60 noise alerts, one scanner over 10
// resources, legacy noise model: the routine patterns would add hundreds
// of alerts), times scale.
func CostScenario(seed uint64, scale float64) *scenario.Scenario {
	if scale <= 0 {
		scale = 1
	}
	n := func(v int) int { return max(1, int(float64(v)*scale+0.5)) }
	return scenario.Generate(scenario.Config{Seed: seed, Noise: scenario.NoiseLegacy, Campaigns: n(4), Repeats: n(1), NoiseAlerts: n(60),
		NoiseResources: n(30), Scanners: n(1), ScanTargets: 10})
}

// qualityConfig is the quality scenario for seed under a noise model: the
// default scenario, or the small one for a short run.
func qualityConfig(seed uint64, short bool, noise scenario.NoiseModel) scenario.Config {
	if short {
		c := scenario.Small(seed)
		c.Noise = noise
		return c
	}
	if noise == scenario.NoiseLegacy {
		return scenario.Legacy(seed)
	}
	c := scenario.DefaultConfig()
	c.Seed = seed
	return c
}

// scoreFamilies scores every seed of both families: the first seed's rows,
// and every row (the first seed's included).
func scoreFamilies(o Options, first scenario.Config) (firstRows, all []QualityRow) {
	tuned := []uint64{o.Seed}
	for i := uint64(1); i < uint64(max(1, o.Seeds)); i++ {
		tuned = append(tuned, o.Seed+i)
	}
	families := []struct {
		name  string
		seeds []uint64
	}{{FamilyTuned, tuned}, {FamilyUntuned, o.Untuned}}
	for _, f := range families {
		for _, seed := range f.seeds {
			cfg := qualityConfig(seed, o.Short, scenario.NoiseRealistic)
			if seed == first.Seed {
				cfg = first
			}
			rows := scoreSeed(f.name, cfg, qualityConfig(seed, o.Short, scenario.NoiseLegacy))
			if firstRows == nil {
				firstRows = rows
			}
			all = append(all, rows...)
		}
	}
	return firstRows, all
}
