package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/functions/correlator/redrive"
	"github.com/muster-sec/muster/localstack/bootstrap"
	"github.com/muster-sec/muster/localstack/moto"
	"github.com/muster-sec/muster/localstack/snapshot"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/resources"
)

// moto keeps every record of a table's stream (DynamoDB keeps 24 hours),
// so the moto the runner starts grows with what is written, about 75 MB
// a thousand alerts; its transactions no longer copy the table (package
// moto's patch), which made it grow by tens of MB a second. The runner
// cannot trim moto's stream, so it restarts moto from a snapshot when it
// holds more than MotoMaxMB: the state is the same, the process is new.

// motoMaxMB is the resident size above which moto is restarted; 0 for
// never.
func (r *Runner) motoMaxMB() float64 {
	switch {
	case r.opts.MotoMaxMB < 0:
		return 0
	case r.opts.MotoMaxMB == 0:
		return 768
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

// recycle restarts moto from a snapshot without waiting for the
// correlator's backlog: with API writes held, it lets the correlator finish
// its batch in flight and stop (cutting it short after 5 s; the units
// committed so far stay), lets the responder and the sink publish what is already
// decided (at most wait), notes the alerts the correlator has not finished
// (pending.json), saves the table, restarts moto on the same port,
// restores the table, starts both consumers after the restored records and
// touches the pending alerts so the correlator takes them up again (the
// redrive's mechanism). It returns false, changing nothing, when the
// responder did not go idle in time.
func (r *Runner) recycle(ctx context.Context, wait time.Duration, rss float64) (bool, error) {
	p := r.persist
	p.gate.Lock()
	defer p.gate.Unlock()
	cfg := awsclient.ForEmulator(r.endpoint)
	r.drainPoller(resources.Correlator.Name, 5*time.Second)
	r.mu.RLock()
	corr, streamARN := r.pollers[resources.Correlator.Name], r.boot.StreamARN
	r.mu.RUnlock()
	if !r.waitIdleOf(ctx, wait, resources.Responder.Name) {
		r.stopPollers()
		return false, r.startPollers(r.runCtx, cfg)
	}
	pending, err := pendingAlerts(ctx, dynamodbstreams.NewFromConfig(cfg), streamARN, corr.Positions())
	if err != nil {
		r.stopPollers()
		return false, errors.Join(err, r.startPollers(r.runCtx, cfg))
	}
	if err := writePending(r.pendingFile(), pending); err != nil {
		return false, err
	}
	r.stopPollers()
	var size int64
	if fi, err := os.Stat(r.EventsFile()); err == nil {
		size = fi.Size()
	}
	meta, err := snapshot.Save(ctx, dynamodb.NewFromConfig(cfg), r.boot.Table, r.opts.Dir, snapshot.Meta{EventsSize: size, SavedAt: time.Now().UTC()})
	if err != nil {
		return false, fmt.Errorf("snapshot before restarting moto: %w", err)
	}
	if err := p.journal.Reset(); err != nil {
		return false, err
	}
	m, err := r.restartMoto(ctx)
	if err != nil {
		return false, err
	}
	if err := r.restoreState(ctx, cfg); err != nil {
		return false, err
	}
	if err := r.startPollers(r.runCtx, cfg); err != nil {
		return false, err
	}
	p.saved, p.savedWork = time.Now(), r.activity().work
	r.motoRestarts.Add(1)
	after, _ := RSSMB(m.Pid())
	r.log.Info("moto restarted from a snapshot to give its memory back", "rss_mb_before", int(rss),
		"rss_mb_after", int(after), "items", meta.Items, "pending_alerts", len(pending), "pid", m.Pid())
	return true, nil
}

// restartMoto stops moto and starts it again on the same port with the
// resources bootstrapped.
func (r *Runner) restartMoto(ctx context.Context) (*moto.Process, error) {
	r.recycling.Store(true)
	defer r.recycling.Store(false)
	r.mu.RLock()
	old := r.moto
	r.mu.RUnlock()
	old.Stop()
	m, err := moto.Start(ctx, moto.Options{Port: r.motoPort(), Output: r.motoLog, Env: r.opts.MotoEnv})
	if err != nil {
		return nil, fmt.Errorf("restart moto: %w", err)
	}
	boot, err := bootstrap.Run(ctx, awsclient.ForEndpoint(r.endpoint), bootstrap.Names{Table: r.opts.Table, Bus: r.opts.Bus, Queue: r.opts.Queue})
	if err != nil {
		return nil, fmt.Errorf("bootstrap the restarted moto: %w", err)
	}
	r.mu.Lock()
	r.moto, r.boot = m, boot
	r.mu.Unlock()
	return m, nil
}

// restoreState writes the snapshot into the new table, checkpoints the
// consumers after it, and touches the alerts the correlator had not
// finished (pending.json), which then reach it as new records.
func (r *Runner) restoreState(ctx context.Context, cfg aws.Config) error {
	db := dynamodb.NewFromConfig(cfg)
	if _, err := snapshot.Restore(ctx, db, r.boot.Table, r.opts.Dir); err != nil && !errors.Is(err, snapshot.ErrNone) {
		return fmt.Errorf("restore %s: %w", r.snapshotFile(), err)
	}
	if err := streampoller.CheckpointAtEnd(ctx, dynamodbstreams.NewFromConfig(cfg), r.boot.StreamARN, r.checkpointDir(),
		resources.Correlator.Name, resources.Responder.Name); err != nil {
		return fmt.Errorf("checkpoint the restored stream: %w", err)
	}
	ids, err := readPending(r.pendingFile())
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if _, err := redrive.Touch(ctx, db, r.boot.Table, ids, time.Now()); err != nil {
			return fmt.Errorf("touch the alerts the correlator had not finished: %w", err)
		}
	}
	if err := os.Remove(r.pendingFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (r *Runner) pendingFile() string { return filepath.Join(r.opts.Dir, "pending.json") }

// pendingAlerts reads the stream after the correlator's positions and
// returns the alerts its records name.
func pendingAlerts(ctx context.Context, st *dynamodbstreams.Client, streamARN string, pos map[string]string) ([]string, error) {
	desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		return nil, fmt.Errorf("describe stream: %w", err)
	}
	var recs []events.DynamoDBEventRecord
	for _, sh := range desc.StreamDescription.Shards {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN), ShardId: sh.ShardId,
			ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon}
		if seq := pos[aws.ToString(sh.ShardId)]; seq != "" {
			in.ShardIteratorType, in.SequenceNumber = stypes.ShardIteratorTypeAfterSequenceNumber, aws.String(seq)
		}
		it, err := st.GetShardIterator(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("get shard iterator: %w", err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil {
				return nil, fmt.Errorf("get records: %w", err)
			}
			if len(out.Records) == 0 {
				break
			}
			for _, rec := range out.Records {
				if ev, err := streampoller.ConvertRecord(rec, streamARN); err == nil {
					recs = append(recs, ev)
				}
			}
			iter = out.NextShardIterator
		}
	}
	return redrive.AlertIDs(recs), nil
}

func writePending(path string, ids []string) error {
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readPending(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	return ids, json.Unmarshal(b, &ids)
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
