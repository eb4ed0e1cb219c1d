package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/mototest"
)

// E2EResult is the local stack measured from the outside: HTTP in, events
// file out.
type E2EResult struct {
	// Paced: one two-alert attack at a time; latency from the start of the
	// POST of the attack's second alert to its Incident Created event in
	// events.jsonl.
	PacedAttacks int     `json:"pacedAttacks"`
	PacedP50Ms   float64 `json:"pacedP50Ms"`
	PacedP95Ms   float64 `json:"pacedP95Ms"`
	// Load: Attacks two-alert attacks posted by Workers concurrent clients,
	// one request per attack.
	Attacks  int `json:"attacks"`
	Workers  int `json:"workers"`
	Alerts   int `json:"alerts"`
	Requests int `json:"requests"`
	// IngestPerSec: alerts accepted per second of posting; PipelinePerSec:
	// alerts per second from the first POST until the last Incident Created
	// event arrived.
	IngestPerSec   float64 `json:"ingestAlertsPerSec"`
	PipelinePerSec float64 `json:"pipelineAlertsPerSec"`
	LoadP50Ms      float64 `json:"loadP50Ms"`
	LoadP95Ms      float64 `json:"loadP95Ms"`
	Missing        int     `json:"missingEvents"`
	PollInterval   string  `json:"pollInterval"`
	Errors         int     `json:"requestErrors"`
}

// E2EOptions size the end-to-end run.
type E2EOptions struct {
	Endpoint string
	Paced    int // attacks measured one at a time (default 20)
	Attacks  int // attacks under load (default 100)
	Workers  int // concurrent clients (default 4)
	Timeout  time.Duration
}

// MeasureE2E starts the local runner in-process on endpoint (loopback
// only) and measures it.
func MeasureE2E(ctx context.Context, o E2EOptions) (E2EResult, error) {
	o = o.withDefaults()
	res := E2EResult{PacedAttacks: o.Paced, Attacks: o.Attacks, Workers: o.Workers, PollInterval: "200ms (runner default)"}
	dir, err := os.MkdirTemp("", "muster-e2e-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	r, err := runner.Start(ctx, runner.Options{
		Endpoint: o.Endpoint, Addr: "127.0.0.1:0", Dir: dir, Token: benchToken,
		Table: mototest.UniqueName("e2e"), Bus: mototest.UniqueName("e2e"), Queue: mototest.UniqueName("e2e"),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return res, fmt.Errorf("start local runner: %w", err)
	}
	defer r.Close()
	run := &e2eRun{o: o, res: &res, url: r.URL(), client: &http.Client{Timeout: 30 * time.Second},
		w: &eventWatch{path: r.EventsFile(), seen: map[string]time.Time{}}}
	if err := run.paced(ctx); err != nil {
		return res, err
	}
	run.load(ctx)
	return res, nil
}

// withDefaults fills the options left zero.
func (o E2EOptions) withDefaults() E2EOptions {
	orDefault(&o.Paced, 20)
	orDefault(&o.Attacks, 100)
	orDefault(&o.Workers, 4)
	orDefault(&o.Timeout, 3*time.Minute)
	return o
}

// e2eRun is one end-to-end measurement against a started runner.
type e2eRun struct {
	o      E2EOptions
	res    *E2EResult
	url    string
	client *http.Client
	w      *eventWatch
}

// e2eStart is the first alert's time in both phases.
var e2eStart = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

// paced posts one attack at a time and times each Incident Created event.
// It fails when not even the first attack makes an incident.
func (e *e2eRun) paced(ctx context.Context) error {
	res := e.res
	var paced []float64
	for i := 0; i < e.o.Paced; i++ {
		a, b := attackPair(fmt.Sprintf("paced-%d", i), e2eStart.Add(time.Duration(i)*time.Minute))
		if _, err := post(ctx, e.client, e.url, []*alert.Alert{a}); err != nil {
			res.Errors++
			continue
		}
		start := time.Now()
		if _, err := post(ctx, e.client, e.url, []*alert.Alert{b}); err != nil {
			res.Errors++
			continue
		}
		at, ok := e.w.waitFor(ctx, a.PrimaryResource(), start.Add(e.o.Timeout/4))
		if !ok {
			res.Missing++
			if len(paced) == 0 {
				return fmt.Errorf("no Incident Created event for a two-stage attack within %s", e.o.Timeout/4)
			}
			continue
		}
		paced = append(paced, float64(at.Sub(start).Microseconds())/1000)
	}
	res.PacedP50Ms, res.PacedP95Ms = percentile(paced, 50), percentile(paced, 95)
	return nil
}

// load posts every attack from concurrent workers, then waits for their
// Incident Created events.
func (e *e2eRun) load(ctx context.Context) {
	start := time.Now()
	sent, resources := e.postLoad(ctx)
	posted := time.Since(start)
	if posted > 0 {
		e.res.IngestPerSec = float64(e.res.Alerts) / posted.Seconds()
	}
	var lat []float64
	var last time.Time
	deadline := time.Now().Add(e.o.Timeout)
	for i, rid := range resources {
		at, ok := e.w.waitFor(ctx, rid, deadline)
		if !ok {
			e.res.Missing++
			continue
		}
		lat = append(lat, float64(at.Sub(sent[i]).Microseconds())/1000)
		if at.After(last) {
			last = at
		}
	}
	if !last.IsZero() {
		e.res.PipelinePerSec = float64(2*len(lat)) / last.Sub(start).Seconds()
	}
	e.res.LoadP50Ms, e.res.LoadP95Ms = percentile(lat, 50), percentile(lat, 95)
}

// postLoad posts the load attacks, one request each, from o.Workers
// clients; it returns when and on which resource each was sent.
func (e *e2eRun) postLoad(ctx context.Context) (sent []time.Time, resources []string) {
	jobs := make(chan []*alert.Alert)
	sent = make([]time.Time, e.o.Attacks)
	resources = make([]string, e.o.Attacks)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k := 0; k < e.o.Workers; k++ {
		wg.Go(func() {
			for alerts := range jobs {
				n, err := post(ctx, e.client, e.url, alerts)
				mu.Lock()
				e.res.Requests++
				e.res.Alerts += n
				if err != nil {
					e.res.Errors++
				}
				mu.Unlock()
			}
		})
	}
	for i := 0; i < e.o.Attacks; i++ {
		a, b := attackPair(fmt.Sprintf("load-%d", i), e2eStart.Add(time.Duration(i)*time.Second))
		resources[i] = a.PrimaryResource()
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		jobs <- []*alert.Alert{a, b}
	}
	close(jobs)
	wg.Wait()
	return sent, resources
}

// attackPair returns two alerts of two stages on one fresh resource.
func attackPair(tag string, at time.Time) (*alert.Alert, *alert.Alert) {
	res := fmt.Sprintf("i-%017x", hash64(tag))
	mk := func(n int, typ string, st killchain.Stage, t time.Time) *alert.Alert {
		a := &alert.Alert{Provider: alert.ProviderGeneric, SourceID: fmt.Sprintf("bench-%s-%d", tag, n), Type: typ,
			Severity: alert.High, Tactics: []killchain.Stage{st}, FirstSeen: t,
			Resources: []alert.Resource{{ID: res, Type: "AwsEc2Instance", Name: "bench-" + tag}}}
		a.ID = a.SourceID // Generic sends ID as the sender's id
		return a
	}
	return mk(1, "UnauthorizedAccess:EC2/SSHBruteForce", killchain.InitialAccess, at),
		mk(2, "Execution:Runtime/NewBinaryExecuted", killchain.Execution, at.Add(10*time.Minute))
}

func hash64(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h & 0xfffffffffffffff
}

func post(ctx context.Context, c *http.Client, base string, alerts []*alert.Alert) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/generic", bytes.NewReader(Generic(alerts)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	return len(alerts), nil
}

// eventWatch tails events.jsonl and remembers when each Incident Created
// event naming a resource was first seen.
type eventWatch struct {
	path   string
	offset int64
	buf    []byte
	seen   map[string]time.Time
	lines  []string
}

func (w *eventWatch) poll() {
	f, err := os.Open(w.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(w.offset, io.SeekStart); err != nil {
		return
	}
	b, _ := io.ReadAll(f)
	w.offset += int64(len(b))
	w.buf = append(w.buf, b...)
	now := time.Now()
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if strings.Contains(line, "Incident Created") {
			w.lines = append(w.lines, line)
			for _, tok := range strings.FieldsFunc(line, func(r rune) bool { return r == '"' }) {
				if strings.HasPrefix(tok, "i-") {
					if _, ok := w.seen[tok]; !ok {
						w.seen[tok] = now
					}
				}
			}
		}
	}
}

// waitFor polls until an Incident Created event names resource.
func (w *eventWatch) waitFor(ctx context.Context, resource string, deadline time.Time) (time.Time, bool) {
	for {
		if at, ok := w.seen[resource]; ok {
			return at, true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Time{}, false
		}
		w.poll()
		if _, ok := w.seen[resource]; !ok {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	k := int(p/100*float64(len(s))+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}

// orDefault sets *v to d when it is zero or negative (an option left
// unset).
func orDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
