package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/muster-sec/muster/functions/correlator/redrive"
	"github.com/muster-sec/muster/localstack/apigwlocal"
	"github.com/muster-sec/muster/localstack/snapshot"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/resources"
)

// persistence keeps the state of a moto the runner started across
// restarts (package snapshot): a snapshot of the table taken while the
// pipeline is idle, and the journal of the API requests that changed
// something since.
type persistence struct {
	journal *snapshot.Journal
	// gate: API writes hold it shared, a snapshot alone, so no request is
	// half in a snapshot and half in the journal.
	gate  sync.RWMutex
	last  atomic.Int64 // unix nanoseconds of the last journaled request
	saved time.Time
	// savedWork is the pipeline's work counter at the last snapshot: work
	// since (a redrive's touches, say) is worth a snapshot too.
	savedWork int64
	every     time.Duration
	recycled  time.Time // the last restart of moto for its memory
	// notBefore: no restart is tried before then (set after a restart,
	// and after an attempt given up; see recycleBackoff).
	notBefore time.Time
}

// journaled journals the API requests that changed something.
type journaled struct {
	h apigwlocal.APIHandler
	p *persistence
}

func (j journaled) ServeAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if !snapshot.Mutates(req) {
		return j.h.ServeAPI(ctx, req)
	}
	j.p.gate.RLock()
	defer j.p.gate.RUnlock()
	// The wait for a snapshot or a restart of moto is the local stack's
	// own: the function still gets its whole integration timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apigwlocal.IntegrationTimeout)
	defer cancel()
	resp, err := j.h.ServeAPI(ctx, req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	if err := j.p.journal.Append(req); err != nil {
		// Applied but not kept: fail the request so the sender retries
		// (ingest is idempotent) rather than lose it on a restart.
		return events.APIGatewayProxyResponse{}, err
	}
	j.p.last.Store(time.Now().UnixNano())
	return resp, nil
}

func (r *Runner) snapshotFile() string { return filepath.Join(r.opts.Dir, snapshot.File) }
func (r *Runner) journalFile() string  { return filepath.Join(r.opts.Dir, snapshot.JournalFile) }

// restore brings the state of the last run back into the fresh table:
// the snapshot's items, consumers checkpointed after them, events.jsonl
// cut back to the snapshot's events; it returns the journal's requests,
// which Start replays once the pipeline runs.
func (r *Runner) restore(ctx context.Context, cfg aws.Config) ([]events.APIGatewayProxyRequest, error) {
	every := r.opts.SnapshotEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	r.persist = &persistence{every: every, saved: time.Now()}
	meta, err := snapshot.Restore(ctx, dynamodb.NewFromConfig(cfg), r.boot.Table, r.opts.Dir)
	switch {
	case errors.Is(err, snapshot.ErrNone):
	case err != nil:
		return nil, fmt.Errorf("restore %s (move it away to start empty): %w", r.snapshotFile(), err)
	case meta.Table != r.boot.Table:
		return nil, fmt.Errorf("the snapshot %s is of table %s, not %s (move it away to start empty)", r.snapshotFile(), meta.Table, r.boot.Table)
	default:
		r.log.Info("restored the table from the snapshot", "items", meta.Items, "saved_at", meta.SavedAt, "file", r.snapshotFile())
	}
	// The events of the restored state, and none after: the journal's
	// replay publishes those again.
	if fi, err := os.Stat(r.EventsFile()); err == nil && fi.Size() > meta.EventsSize {
		if err := os.Truncate(r.EventsFile(), meta.EventsSize); err != nil {
			return nil, err
		}
		r.log.Info("events file cut back to the restored state", "bytes", meta.EventsSize)
	}
	if err := streampoller.CheckpointAtEnd(ctx, dynamodbstreams.NewFromConfig(cfg), r.boot.StreamARN,
		r.checkpointDir(), resources.Correlator.Name, resources.Responder.Name); err != nil {
		return nil, fmt.Errorf("checkpoint the restored stream: %w", err)
	}
	// Alerts a memory restart of moto had noted as not yet correlated.
	if ids, err := readPending(r.pendingFile()); err != nil {
		return nil, err
	} else if len(ids) > 0 {
		if _, err := redrive.Touch(ctx, dynamodb.NewFromConfig(cfg), r.boot.Table, ids, time.Now()); err != nil {
			return nil, fmt.Errorf("touch the alerts the correlator had not finished: %w", err)
		}
		_ = os.Remove(r.pendingFile())
	}
	if r.persist.journal, err = snapshot.OpenJournal(r.journalFile()); err != nil {
		return nil, err
	}
	return snapshot.ReadJournal(r.journalFile())
}

func (r *Runner) checkpointDir() string { return filepath.Join(r.opts.Dir, "checkpoints") }

// replay sends the journal's requests through the API handlers again, in
// order. Webhooks go straight on (ingest is idempotent and correlation
// does not depend on order); any other request waits until the pipeline
// is idle, as it was when the person made it.
func (r *Runner) replay(ctx context.Context, h handlers, reqs []events.APIGatewayProxyRequest) {
	failed := 0
	for _, req := range reqs {
		target := h.query
		if req.Resource == "/webhooks/{provider}" {
			target = h.ingest
		} else {
			r.waitIdle(ctx, 30*time.Second)
		}
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		if req.MultiValueHeaders == nil {
			req.MultiValueHeaders = map[string][]string{}
		}
		req.Headers["Authorization"] = "Bearer " + r.token
		req.MultiValueHeaders["Authorization"] = []string{"Bearer " + r.token}
		resp, err := target.ServeAPI(ctx, req)
		if err != nil || resp.StatusCode > 299 {
			failed++
			r.log.Warn("journal request not replayed", "method", req.HTTPMethod, "path", req.Path, "status", resp.StatusCode, "error", err)
		}
	}
	if len(reqs) > 0 {
		// Start returns with the replayed alerts correlated and their
		// events published, as they were before the restart.
		caughtUp := r.waitIdle(ctx, time.Minute)
		r.log.Info("replayed the journal", "requests", len(reqs), "failed", failed, "caught_up", caughtUp, "file", r.journalFile())
	}
}

// snapshotLoop takes a snapshot when requests were journaled or the
// pipeline did work since the last one, no request came for two seconds,
// and the last snapshot is older than SnapshotEvery.
func (r *Runner) snapshotLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p := r.persist
		if rss, over := r.overLimit(); over && time.Now().After(p.notBefore) {
			// Hold API writes, let the responder publish what is
			// decided, then restart moto from a snapshot.
			if ok, err := r.recycle(ctx, 30*time.Second, rss); err != nil {
				r.fail(fmt.Errorf("restart moto from a snapshot: %w", err))
				return
			} else if ok {
				p.recycled = time.Now()
				p.notBefore = p.recycled.Add(5 * time.Second)
			} else {
				p.notBefore = time.Now().Add(recycleBackoff)
				r.log.Warn("moto is over its memory limit but the responder did not go idle; trying again later",
					"rss_mb", int(rss), "retry_in", recycleBackoff.String())
			}
			continue
		}
		if p.due(r.activity().work) {
			r.takeSnapshot(ctx, 15*time.Second)
		}
	}
}

// recycleBackoff is the wait after a restart of moto given up because
// the responder did not go idle: each attempt holds API writes and cuts
// the correlator's batch short, so attempts one after the other (a burst
// keeps the responder busy) would stop the pipeline instead of easing it.
const recycleBackoff = 30 * time.Second

// due reports whether a snapshot is worth taking: requests were
// journaled or the pipeline worked since the last one, none came for two
// seconds, and the last one is older than every.
func (p *persistence) due(work int64) bool {
	p.gate.RLock() // takeSnapshot writes saved and savedWork holding it alone
	defer p.gate.RUnlock()
	quiet := time.Since(time.Unix(0, p.last.Load())) > 2*time.Second
	changed := p.journal.Len() > 0 || work != p.savedWork
	return changed && quiet && time.Since(p.saved) >= p.every
}

// takeSnapshot holds API writes, waits (at most wait) for the pipeline to
// be idle, saves the table and empties the journal.
func (r *Runner) takeSnapshot(ctx context.Context, wait time.Duration) {
	p := r.persist
	p.gate.Lock()
	defer p.gate.Unlock()
	if !r.waitIdle(ctx, wait) {
		r.log.Debug("snapshot put off: the pipeline is busy")
		return
	}
	var size int64
	if fi, err := os.Stat(r.EventsFile()); err == nil {
		size = fi.Size()
	}
	meta, err := snapshot.Save(ctx, dynamodb.NewFromConfig(awsclient.ForEndpoint(r.endpoint)), r.boot.Table, r.opts.Dir,
		snapshot.Meta{EventsSize: size, SavedAt: time.Now().UTC()})
	if err != nil {
		r.log.Warn("snapshot not saved; the journal keeps the requests", "error", err)
		return
	}
	if err := p.journal.Reset(); err != nil {
		r.log.Warn("empty the journal", "error", err)
	}
	p.saved, p.savedWork = time.Now(), r.activity().work
	r.log.Debug("snapshot saved", "items", meta.Items, "file", r.snapshotFile())
}

// waitIdle waits until every stream poller and the sink have found
// nothing new over two passes that began after it was called, with no
// record or event handled meanwhile; false after timeout.
func (r *Runner) waitIdle(ctx context.Context, timeout time.Duration) bool {
	return r.waitIdleOf(ctx, timeout, resources.Correlator.Name, resources.Responder.Name)
}

// waitIdleOf is waitIdle for the named pollers (and the sink).
func (r *Runner) waitIdleOf(ctx context.Context, timeout time.Duration, names ...string) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		start := r.activityOf(names...)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			now := r.activityOf(names...)
			if now.passedTwice(start) {
				if now.work == start.work {
					return true
				}
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return false
}

type activity struct {
	idle []int64 // idle passes of each poller, then the sink's empty polls
	work int64   // records read and events written
}

func (r *Runner) activity() activity {
	return r.activityOf(resources.Correlator.Name, resources.Responder.Name)
}

func (r *Runner) activityOf(names ...string) activity {
	var a activity
	r.mu.RLock()
	pollers := r.pollers
	r.mu.RUnlock()
	for _, name := range names {
		p := pollers[name]
		a.idle = append(a.idle, p.IdlePasses())
		a.work += p.Stats().Records
	}
	a.idle = append(a.idle, r.sink.EmptyPolls())
	a.work += r.sink.Written()
	return a
}

func (a activity) passedTwice(start activity) bool {
	for i := range a.idle {
		if a.idle[i] < start.idle[i]+2 {
			return false
		}
	}
	return true
}
