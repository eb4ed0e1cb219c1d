package runner

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/muster-sec/muster/localstack/bootstrap"
	"github.com/muster-sec/muster/localstack/moto"
	"github.com/muster-sec/muster/localstack/snapshot"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/resources"
)

// moto 5.2.1 grows without bound under the correlator's transactions:
// TransactWriteItems deep-copies the whole table once per item of the
// transaction, and the copies (which reference themselves through the
// table's stream) are freed late or never given back to the system. The
// runner cannot change moto, so it restarts it from a snapshot when it
// holds more than MotoMaxMB: the state is the same, the process is new.

// motoMaxMB is the resident size above which moto is restarted; 0 for
// never.
func (r *Runner) motoMaxMB() float64 {
	switch {
	case r.opts.MotoMaxMB < 0:
		return 0
	case r.opts.MotoMaxMB == 0:
		return 1024
	}
	return float64(r.opts.MotoMaxMB)
}

// overLimit reports whether the moto started here holds more than its
// limit.
func (r *Runner) overLimit() (float64, bool) {
	limit := r.motoMaxMB()
	if limit == 0 {
		return 0, false
	}
	mb, err := RSSMB(r.MotoPid())
	return mb, err == nil && mb > limit
}

// recycle restarts moto from a snapshot: with API writes held and the
// pipeline idle (at most wait), it saves the table, stops the pollers and
// moto, starts moto again on the same port, restores the table, and
// starts the pollers after the restored records. It returns false when
// the pipeline did not go idle in time (nothing changed then).
func (r *Runner) recycle(ctx context.Context, wait time.Duration, rss float64) (bool, error) {
	p := r.persist
	p.gate.Lock()
	defer p.gate.Unlock()
	if !r.waitIdle(ctx, wait) {
		return false, nil
	}
	var size int64
	if fi, err := os.Stat(r.EventsFile()); err == nil {
		size = fi.Size()
	}
	cfg := awsclient.ForEndpoint(r.endpoint)
	meta, err := snapshot.Save(ctx, dynamodb.NewFromConfig(cfg), r.boot.Table, r.opts.Dir, snapshot.Meta{EventsSize: size, SavedAt: time.Now().UTC()})
	if err != nil {
		return false, fmt.Errorf("snapshot before restarting moto: %w", err)
	}
	if err := p.journal.Reset(); err != nil {
		return false, err
	}
	r.stopPollers()
	r.recycling.Store(true)
	defer r.recycling.Store(false)
	r.mu.RLock()
	old := r.moto
	r.mu.RUnlock()
	old.Stop()
	m, err := moto.Start(ctx, moto.Options{Port: r.motoPort(), Output: r.motoLog, Env: r.opts.MotoEnv})
	if err != nil {
		return false, fmt.Errorf("restart moto: %w", err)
	}
	boot, err := bootstrap.Run(ctx, cfg, bootstrap.Names{Table: r.opts.Table, Bus: r.opts.Bus, Queue: r.opts.Queue})
	if err != nil {
		return false, fmt.Errorf("bootstrap the restarted moto: %w", err)
	}
	r.mu.Lock()
	r.moto, r.boot = m, boot
	r.mu.Unlock()
	if _, err := snapshot.Restore(ctx, dynamodb.NewFromConfig(cfg), boot.Table, r.opts.Dir); err != nil {
		return false, fmt.Errorf("restore after restarting moto: %w", err)
	}
	if err := streampoller.CheckpointAtEnd(ctx, dynamodbstreams.NewFromConfig(cfg), boot.StreamARN, r.checkpointDir(),
		resources.Correlator.Name, resources.Responder.Name); err != nil {
		return false, err
	}
	if err := r.startPollers(r.runCtx, cfg); err != nil {
		return false, err
	}
	p.saved, p.savedWork = time.Now(), r.activity().work
	r.motoRestarts.Add(1)
	after, _ := RSSMB(m.Pid())
	r.log.Info("moto restarted from a snapshot to give its memory back", "rss_mb_before", int(rss),
		"rss_mb_after", int(after), "items", meta.Items, "pid", m.Pid())
	return true, nil
}

func (r *Runner) motoPort() int {
	if r.opts.MotoPort != 0 {
		return r.opts.MotoPort
	}
	return moto.DefaultPort
}

// RSSMB is a process's resident set size in MB (VmRSS in /proc).
func RSSMB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
