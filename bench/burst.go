package bench

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/mototest"
)

// BurstResult is a burst of attacks through the local stack (`make run`'s
// runner, its own moto): how long after the last POST the last Incident
// Created event was written, and how fast the pipeline correlated.
type BurstResult struct {
	Attacks   int `json:"attacks"`
	PerAttack int `json:"alertsPerAttack"`
	Workers   int `json:"workers"`
	Alerts    int `json:"alertsAccepted"`
	Errors    int `json:"requestErrors"`
	// PostSeconds: first POST to the last POST's answer.
	PostSeconds float64 `json:"postSeconds"`
	// DrainSeconds: the last POST's answer to the last Incident Created
	// event in events.jsonl; IdleSeconds: to the pipeline idle (every
	// stream record handled, assignments and responder included).
	DrainSeconds float64 `json:"lastPostToLastIncidentSeconds"`
	IdleSeconds  float64 `json:"lastPostToIdleSeconds"`
	// AlertsPerSec: alerts accepted per second from the first POST to the
	// last Incident Created event.
	AlertsPerSec float64 `json:"correlatedAlertsPerSec"`
	Incidents    int     `json:"incidentsCreated"`
	Missing      int     `json:"missingIncidents"`
	Parked       int     `json:"parkedAlerts"`
	// MotoRestarts: the runner restarted moto from a snapshot to give its
	// memory back (above 768 MB) this many times.
	MotoRestarts int `json:"motoRestarts"`
}

// BurstOptions size the burst.
type BurstOptions struct {
	Attacks   int // attacks, each on its own instance (default 100)
	PerAttack int // alerts per attack, in kill-chain order (default 20)
	Workers   int // concurrent clients, one request per attack (default 4)
	// Endpoint of a running emulator; empty: the runner starts its own
	// moto, as `make run` does.
	Endpoint string
	Timeout  time.Duration // for the incidents after the last POST (default 10 min)
	Logger   *slog.Logger
}

// MeasureBurst starts the local stack, posts every attack from Workers
// clients and waits for each attack's Incident Created event, then for the
// pipeline to be idle.
func MeasureBurst(ctx context.Context, o BurstOptions) (BurstResult, error) {
	o = o.withDefaults()
	res := BurstResult{Attacks: o.Attacks, PerAttack: o.PerAttack, Workers: o.Workers}
	dir, err := os.MkdirTemp("", "muster-burst-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ro := runner.Options{Endpoint: o.Endpoint, Addr: "127.0.0.1:0", Dir: dir, Token: benchToken, Logger: o.Logger}
	if o.Endpoint == "" {
		if ro.MotoPort, err = mototest.FreePort(); err != nil {
			return res, err
		}
	} else {
		ro.Table, ro.Bus, ro.Queue = mototest.UniqueName("burst"), mototest.UniqueName("burst"), mototest.UniqueName("burst")
	}
	r, err := runner.Start(ctx, ro)
	if err != nil {
		return res, fmt.Errorf("start local runner: %w", err)
	}
	defer r.Close()

	var batches [][]*alert.Alert
	resources := make([]string, o.Attacks)
	for i := range o.Attacks {
		batch := attackAlerts(fmt.Sprintf("burst-%d", i), e2eStart.Add(time.Duration(i)*time.Second), o.PerAttack)
		resources[i] = batch[0].PrimaryResource()
		batches = append(batches, batch)
	}
	start := time.Now()
	res.Alerts, res.Errors = postBatches(ctx, r.URL(), batches, o.Workers)
	posted := time.Now()
	res.PostSeconds = posted.Sub(start).Seconds()

	w := &eventWatch{path: r.EventsFile(), seen: map[string]time.Time{}}
	var last time.Time
	for _, rid := range resources {
		at, ok := w.waitFor(ctx, rid, posted.Add(o.Timeout))
		if !ok {
			res.Missing++
			continue
		}
		if at.After(last) {
			last = at
		}
	}
	res.Incidents = len(resources) - res.Missing
	if !last.IsZero() {
		res.DrainSeconds = last.Sub(posted).Seconds()
		res.AlertsPerSec = float64(res.Alerts) / last.Sub(start).Seconds()
	}
	if r.WaitIdle(ctx, o.Timeout) {
		res.IdleSeconds = time.Since(posted).Seconds()
	}
	res.Parked = r.Parked()
	res.MotoRestarts = r.MotoRestarts()
	if res.Missing > 0 {
		return res, fmt.Errorf("%d of %d attacks made no Incident Created event within %s of the last POST", res.Missing, o.Attacks, o.Timeout)
	}
	return res, nil
}

func (o BurstOptions) withDefaults() BurstOptions {
	orDefault(&o.Attacks, 100)
	orDefault(&o.PerAttack, 20)
	orDefault(&o.Workers, 4)
	orDefault(&o.Timeout, 10*time.Minute)
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	return o
}

// postBatches posts each batch as one request from workers concurrent
// clients; it returns the alerts accepted and the requests that failed.
func postBatches(ctx context.Context, base string, batches [][]*alert.Alert, workers int) (accepted, failed int) {
	client := &http.Client{Timeout: 10 * time.Minute}
	type result struct{ n, failed int }
	jobs, results := make(chan []*alert.Alert), make(chan result)
	for range workers {
		go func() {
			for j := range jobs {
				n, err := post(ctx, client, base, j)
				r := result{n: n}
				if err != nil {
					r.failed = 1
				}
				results <- r
			}
		}()
	}
	go func() {
		for _, b := range batches {
			jobs <- b
		}
		close(jobs)
	}()
	for range batches {
		r := <-results
		accepted, failed = accepted+r.n, failed+r.failed
	}
	return accepted, failed
}

// attackStages are the stages of a burst attack, in kill-chain order; an
// attack's alerts go through them in turn.
var attackStages = []killchain.Stage{killchain.InitialAccess, killchain.Persistence,
	killchain.PrivilegeEscalation, killchain.CredentialAccess, killchain.Execution, killchain.Collection, killchain.Exfiltration}

// attackAlerts returns n alerts of one attack on one fresh instance, a
// minute apart, their stages in kill-chain order.
func attackAlerts(tag string, at time.Time, n int) []*alert.Alert {
	res := fmt.Sprintf("i-%017x", hash64(tag))
	out := make([]*alert.Alert, n)
	for i := range out {
		st := attackStages[min(i*len(attackStages)/n, len(attackStages)-1)]
		a := &alert.Alert{Provider: alert.ProviderGeneric, SourceID: fmt.Sprintf("bench-%s-%d", tag, i+1),
			Type: "Bench:EC2/" + st.String(), Severity: alert.High, Tactics: []killchain.Stage{st},
			FirstSeen: at.Add(time.Duration(i) * time.Minute),
			Resources: []alert.Resource{{ID: res, Type: "AwsEc2Instance", Name: "bench-" + tag}}}
		a.ID = a.SourceID // Generic sends ID as the sender's id
		out[i] = a
	}
	return out
}
