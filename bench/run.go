package bench

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/quality"
	"github.com/muster-sec/muster/shared/scenario"
)

// Options select and size a report run.
type Options struct {
	// Root is the repository root (go commands run there).
	Root string
	Seed uint64
	// Short runs every section at tiny sizes (a smoke test).
	Short bool
	// Skip names sections not to run: quality, cost, normalize, engine,
	// gobench, e2e, memory, coldstart.
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
	// Seeds is the number of scenarios (seeds Seed, Seed+1, …) scored for
	// the across-seeds quality table (default 1: only Seed).
	Seeds int
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
	log := o.Logger.With("component", "bench")
	r := &Report{Date: start.UTC(), Machine: DescribeMachine(), Short: o.Short, Errors: map[string]string{}, Sections: map[string]float64{}}
	section := func(name string, f func() error) {
		if o.Skip[name] {
			return
		}
		log.Info("section start", "section", name)
		t := time.Now()
		if err := f(); err != nil {
			r.Errors[name] = err.Error()
			log.Error("section failed", "section", name, "error", err)
		}
		r.Sections[name] = time.Since(t).Seconds()
		log.Info("section done", "section", name, "seconds", r.Sections[name])
	}

	cfg := scenario.DefaultConfig()
	cfg.Seed = o.Seed
	if o.Short {
		cfg = scenario.Small(o.Seed)
	}
	sc := scenario.Generate(cfg)
	r.Scenario = Summarise(sc)

	section("quality", func() error {
		seeds := []uint64{o.Seed}
		for i := uint64(1); i < uint64(max(1, o.Seeds)); i++ {
			seeds = append(seeds, o.Seed+i)
		}
		for k, seed := range seeds {
			scs := sc
			if k > 0 {
				c := cfg
				c.Seed = seed
				scs = scenario.Generate(c)
			}
			for _, g := range groupers() {
				t := time.Now()
				groups := g.g.Group(scs.Alerts)
				row := QualityRow{Grouper: g.name, Rule: g.rule, Seed: seed, Result: quality.Score(groups, scs.Labels), Seconds: time.Since(t).Seconds()}
				if m, ok := g.g.(*Muster); ok && m.Err != nil {
					row.Error = m.Err.Error()
				}
				if m, ok := g.g.(*Shuffled); ok && m.Err != nil {
					row.Error = m.Err.Error()
				}
				if k == 0 {
					r.Quality = append(r.Quality, row)
				} else {
					r.QualitySeeds = append(r.QualitySeeds, row)
				}
			}
		}
		r.QualitySeeds = append(append([]QualityRow(nil), r.Quality...), r.QualitySeeds...)
		return nil
	})

	// Each AWS section gets its own moto_server: moto deep-copies the table
	// for every item of a TransactWriteItems call (its rollback copy), so a
	// server holding earlier sections' items slows every later transaction.
	withMoto := func(f func(endpoint string) error) func() error {
		return func() error {
			srv, err := mototest.Start()
			if err != nil {
				return fmt.Errorf("start moto: %w", err)
			}
			defer srv.Stop()
			return f(srv.Endpoint)
		}
	}

	section("cost", withMoto(func(endpoint string) error {
		one := scenario.Generate(scenario.Config{Seed: o.Seed, Campaigns: 1, Overlaps: -1, MinAlerts: 20, MaxAlerts: 20,
			MultiResource: -1, Repeats: -1, NoiseAlerts: -1, Scanners: -1})
		var errs []string
		c, err := RunCost(ctx, CostCampaign, one.Alerts, CostOptions{Endpoint: endpoint})
		if err != nil {
			errs = append(errs, err.Error())
		}
		r.Cost = append(r.Cost, c)
		mixed := CostScenario(o.Seed, o.CostScale)
		if o.Short {
			mixed = scenario.Generate(scenario.Config{Seed: o.Seed, Campaigns: 1, Repeats: -1, MinAlerts: 8, MaxAlerts: 8,
				NoiseAlerts: 10, NoiseResources: 5, Scanners: -1, MultiResource: -1})
		}
		name := fmt.Sprintf("mixed scenario (%d campaigns, %d alerts)", len(mixed.Campaigns), len(mixed.Alerts))
		c, err = RunCost(ctx, name, mixed.Alerts, CostOptions{Endpoint: endpoint})
		if err != nil {
			errs = append(errs, err.Error())
		}
		r.Cost = append(r.Cost, c)
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	}))

	section("normalize", func() error {
		r.Normalize = MeasureNormalize(filepath.Join(o.Root, "events", "samples"), sc)
		return nil
	})

	section("engine", func() error {
		sizes, measured := o.EngineState, o.EngineMeasured
		if o.Short {
			sizes, measured = []int{1000}, 1000
		}
		var errs []string
		for _, n := range sizes {
			e, err := MeasureEngine(o.Seed, n, measured)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			r.Engine = append(r.Engine, e)
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})

	section("e2e", withMoto(func(endpoint string) error {
		eo := E2EOptions{Endpoint: endpoint}
		if o.Short {
			eo.Paced, eo.Attacks, eo.Workers, eo.Timeout = 3, 10, 2, time.Minute
		}
		e, err := MeasureE2E(ctx, eo)
		r.E2E = &e
		return err
	}))

	section("memory", func() error {
		mo := MemoryOptions{Alerts: 5000, Logger: o.Logger}
		if o.Short {
			mo.Alerts = 100
		}
		m, err := MeasureMemory(ctx, mo)
		r.Memory = &m
		return err
	})

	section("coldstart", withMoto(func(endpoint string) error {
		runs := o.ColdRuns
		if o.Short {
			runs = 1
		}
		r.ColdStart = MeasureColdStart(ctx, o.Root, runs, endpoint)
		var errs []string
		for _, c := range r.ColdStart {
			if c.Error != "" {
				errs = append(errs, c.Function+": "+c.Error)
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	}))

	section("gobench", func() error {
		pkgs, err := BenchPackages(o.Root)
		if err != nil {
			return err
		}
		bt := o.BenchTime
		if o.Short {
			bt = "1x"
		}
		res, err := RunGoBench(ctx, o.Root, pkgs, bt, 8*time.Minute)
		r.GoBench = res
		return err
	})

	r.Seconds = time.Since(start).Seconds()
	r.Machine.LoadEnd = LoadAvg()
	r.ComputeTargets()
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	return r
}

// CostScenario is the mixed scenario pushed through moto for cost: the
// default scenario's shape at a size moto can take in a minute or two
// (4 campaigns, one repeat, 60 noise alerts, one scanner over 10
// resources), times scale.
func CostScenario(seed uint64, scale float64) *scenario.Scenario {
	if scale <= 0 {
		scale = 1
	}
	n := func(v int) int { return max(1, int(float64(v)*scale+0.5)) }
	return scenario.Generate(scenario.Config{Seed: seed, Campaigns: n(4), Repeats: n(1), NoiseAlerts: n(60),
		NoiseResources: n(30), Scanners: n(1), ScanTargets: 10})
}

type namedGrouper struct {
	name, rule string
	g          quality.Grouper
}

// groupers are the groupings the report compares, fresh for each scenario.
func groupers() []namedGrouper {
	noisy20 := correlate.DefaultConfig()
	noisy20.NoisyKeyResources = 20
	return []namedGrouper{
		{"Muster", "shared/correlate with its defaults (24 h window, ≥ 2 stages, noisy key > 5 resources), alerts fed in delivery order in stream batches of 100; incidents = groups that reached the incident threshold and were not merged away.", &Muster{Config: correlate.DefaultConfig()}},
		{"Muster (noisy key > 20 resources)", "as Muster with MUSTER_NOISY_KEY_RESOURCES=20 (sensitivity of the noisy-key threshold).", &Muster{Config: noisy20}},
		{"Muster (shuffled delivery)", "as Muster, the same alerts delivered in a random order (DESIGN.md: the outcome must not depend on arrival order).", &Shuffled{Muster: Muster{Config: correlate.DefaultConfig()}, Seed: 99}},
		{"By resource", "Alertmanager group_by resource: every alert with the same primary resource in one group, for all time; a group with ≥ 2 alerts is an incident.", quality.ByResource{}},
		{"By entity (5h)", "Sentinel-style: alerts sharing any resource id or entity value (any type, private IPs included) with firstSeen ≤ 5 h apart are linked; connected components with ≥ 2 alerts are incidents.", quality.ByEntity{}},
	}
}
