// Package streampoller reads a DynamoDB table's stream and invokes a stream
// consumer (the correlator, the responder) the way a Lambda event source
// mapping does, so `make run` exercises the same batch, filter and retry
// behaviour as the deployed functions.
//
// One Poller is one event source mapping: it has its own shard iterators,
// so two consumers of the same stream read independently. For each shard
// (parents before children, so a shard rollover keeps per-key order) it
// calls GetRecords in a loop, drops records that match none of the
// consumer's filter patterns (resources.StreamConsumer.Filters, see
// package eventfilter), and invokes the handler with batches of at most
// BatchSize records. Failures follow Lambda's rules (see deliver): partial
// batch failures are retried from the lowest failed sequence number, an
// error retries the whole batch, and after MaxRetryAttempts retries the
// failed records are appended to <DeadLetterDir>/<consumer>.jsonl. Records
// older than MaxRecordAgeSecs go there without being delivered.
//
// Starting position: the poller checkpoints the last sequence number it has
// finished per shard in <CheckpointDir>/<consumer>.json, keyed by the
// stream ARN. On start it resumes AFTER_SEQUENCE_NUMBER for a known shard
// and reads other shards from TRIM_HORIZON. So records written before the
// runner started (a fresh table, or while it was stopped) are processed,
// and a restart against the same emulator does not replay what was already
// handled. A new table has a new stream ARN, so stale checkpoints are
// ignored.
//
// Batching window: the poller keeps reading while the shard yields
// records, until it holds BatchSize records or MaxBatchingWindow has
// passed, so a backlog is delivered in full batches as Lambda delivers it.
// Differences from Lambda, on purpose: a read that finds nothing new ends
// the window early (on a quiet stream an alert becomes an incident at
// once, without waiting out the window), no bisection on error, one
// invocation at a time per consumer.
package streampoller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/localstack/eventfilter"
	"github.com/muster-sec/muster/shared/resources"
)

// Streams is the part of the DynamoDB Streams API the poller uses.
type Streams interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

var _ Streams = (*dynamodbstreams.Client)(nil)

// Config configures a Poller. Consumer, StreamARN, Client and Handler are
// required.
type Config struct {
	Consumer  resources.StreamConsumer
	StreamARN string
	Client    Streams
	Handler   Handler
	// DeadLetterDir holds <consumer>.jsonl; ".muster/dead-letter" when empty.
	DeadLetterDir string
	// CheckpointDir holds <consumer>.json; no checkpoints when empty.
	CheckpointDir string
	// PollInterval is the wait after an empty GetRecords; 200ms when zero.
	PollInterval time.Duration
	// RetryBackoff is the first wait before a retry, doubled per attempt
	// (capped at 2s); 100ms when zero, none when negative.
	RetryBackoff time.Duration
	// RefreshInterval is how often the shard list is re-read; 10s when zero.
	RefreshInterval time.Duration
	Logger          *slog.Logger
	Now             func() time.Time
}

// Stats counts what a Poller did.
type Stats struct {
	Records, Filtered, Invocations, Retries, DeadLettered int64
}

type counters struct {
	records, filtered, invocations, retries, deadLettered atomic.Int64
}

// Poller is one event source mapping.
type Poller struct {
	cfg    Config
	filter *eventfilter.Filter
	log    *slog.Logger
	now    func() time.Time
	dead   *deadLetters
	stats  counters

	shards map[string]*shard
	order  []string // shard ids in discovery order
	ckpt   checkpoint
	idle   atomic.Int64 // passes over every shard that read nothing
	// draining: Run returns at the next batch boundary (Drain).
	draining atomic.Bool
}

type shard struct {
	id, parent string
	iterator   string
	lastSeq    string // last sequence number finished
	closed     bool   // the shard ended and every record was delivered
}

type checkpoint struct {
	StreamARN string            `json:"streamArn"`
	Shards    map[string]string `json:"shards"`
}

// New validates cfg and compiles the consumer's filters.
func New(cfg Config) (*Poller, error) {
	switch {
	case cfg.Consumer.Name == "":
		return nil, errors.New("stream poller: consumer name is required")
	case cfg.StreamARN == "":
		return nil, errors.New("stream poller: stream ARN is required")
	case cfg.Client == nil || cfg.Handler == nil:
		return nil, errors.New("stream poller: client and handler are required")
	case cfg.Consumer.BatchSize <= 0:
		return nil, fmt.Errorf("stream poller %s: batch size must be positive", cfg.Consumer.Name)
	}
	f, err := eventfilter.Compile(cfg.Consumer.Filters)
	if err != nil {
		return nil, fmt.Errorf("stream poller %s: %w", cfg.Consumer.Name, err)
	}
	if cfg.DeadLetterDir == "" {
		cfg.DeadLetterDir = filepath.Join(".muster", "dead-letter")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	p := &Poller{
		cfg: cfg, filter: f, now: cfg.Now,
		log:    log.With("consumer", cfg.Consumer.Name),
		dead:   &deadLetters{path: filepath.Join(cfg.DeadLetterDir, cfg.Consumer.Name+".jsonl")},
		shards: map[string]*shard{},
	}
	p.loadCheckpoint()
	return p, nil
}

// Stats returns the counters so far.
func (p *Poller) Stats() Stats {
	return Stats{
		Records: p.stats.records.Load(), Filtered: p.stats.filtered.Load(), Invocations: p.stats.invocations.Load(),
		Retries: p.stats.retries.Load(), DeadLettered: p.stats.deadLettered.Load(),
	}
}

// Positions returns the last sequence number finished per shard (call it
// once Run has returned).
func (p *Poller) Positions() map[string]string {
	out := map[string]string{}
	for id, sh := range p.shards {
		if sh.lastSeq != "" {
			out[id] = sh.lastSeq
		}
	}
	for id, seq := range p.ckpt.Shards {
		if _, ok := out[id]; !ok {
			out[id] = seq
		}
	}
	return out
}

// IdlePasses counts the passes over every shard that found no record:
// two more than before a moment means the poller had delivered everything
// written before that moment.
func (p *Poller) IdlePasses() int64 { return p.idle.Load() }

// DeadLetterFile is the path of the consumer's dead-letter file.
func (p *Poller) DeadLetterFile() string { return p.dead.path }

// Run polls until ctx ends. It returns nil on cancellation; API errors are
// logged and retried.
func (p *Poller) Run(ctx context.Context) error {
	var lastRefresh time.Time
	for {
		if lastRefresh.IsZero() || p.now().Sub(lastRefresh) >= p.cfg.RefreshInterval || p.allClosed() {
			if err := p.refreshShards(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				p.log.Warn("describe stream", "error", err)
			}
			lastRefresh = p.now()
		}
		busy := false
		for _, id := range p.order {
			sh := p.shards[id]
			if sh.closed || !p.parentDone(sh) {
				continue
			}
			n, err := p.pollShard(ctx, sh)
			if ctx.Err() != nil || p.draining.Load() {
				return nil
			}
			if err != nil {
				p.log.Warn("poll shard", "shard_id", sh.id, "error", err)
				sh.iterator = "" // re-obtained from the checkpoint
			}
			busy = busy || n > 0
		}
		if busy {
			continue
		}
		p.idle.Add(1)
		if err := p.wait(ctx, p.cfg.PollInterval); err != nil {
			return nil
		}
	}
}

func (p *Poller) allClosed() bool {
	for _, sh := range p.shards {
		if !sh.closed {
			return false
		}
	}
	return true
}

// parentDone reports whether a shard's parent (when still listed) has been
// read to its end.
func (p *Poller) parentDone(sh *shard) bool {
	parent, ok := p.shards[sh.parent]
	return sh.parent == "" || !ok || parent.closed
}

func (p *Poller) refreshShards(ctx context.Context) error {
	var start *string
	for {
		out, err := p.cfg.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{
			StreamArn: aws.String(p.cfg.StreamARN), ExclusiveStartShardId: start,
		})
		if err != nil {
			return fmt.Errorf("describe stream %s: %w", p.cfg.StreamARN, err)
		}
		d := out.StreamDescription
		if d == nil {
			return nil
		}
		for _, s := range d.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := p.shards[id]; ok {
				continue
			}
			p.shards[id] = &shard{id: id, parent: aws.ToString(s.ParentShardId), lastSeq: p.ckpt.Shards[id]}
			p.order = append(p.order, id)
			p.log.Info("shard discovered", "shard_id", id, "parent_shard_id", aws.ToString(s.ParentShardId),
				"resume_after", p.ckpt.Shards[id])
		}
		if d.LastEvaluatedShardId == nil {
			return nil
		}
		start = d.LastEvaluatedShardId
	}
}

// pollShard reads one page of a shard and delivers it; it returns the
// number of records read.
func (p *Poller) pollShard(ctx context.Context, sh *shard) (int, error) {
	if sh.iterator == "" {
		in := &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(p.cfg.StreamARN), ShardId: aws.String(sh.id),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		}
		if sh.lastSeq != "" {
			in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
			in.SequenceNumber = aws.String(sh.lastSeq)
		}
		out, err := p.cfg.Client.GetShardIterator(ctx, in)
		var notFound *types.ResourceNotFoundException
		var trimmed *types.TrimmedDataAccessException
		if (errors.As(err, &notFound) || errors.As(err, &trimmed)) && sh.lastSeq != "" {
			p.log.Warn("checkpoint no longer readable, reading from trim horizon", "shard_id", sh.id, "error", err)
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeTrimHorizon, nil
			out, err = p.cfg.Client.GetShardIterator(ctx, in)
		}
		if err != nil {
			return 0, fmt.Errorf("get shard iterator: %w", err)
		}
		sh.iterator = aws.ToString(out.ShardIterator)
		if sh.iterator == "" {
			sh.closed = true
			return 0, nil
		}
	}
	recs, err := p.gather(ctx, sh)
	if err != nil {
		return 0, err
	}
	if err := p.process(ctx, sh.id, recs); err != nil {
		return 0, err
	}
	if len(recs) > 0 {
		sh.lastSeq = aws.ToString(recs[len(recs)-1].Dynamodb.SequenceNumber)
		p.saveCheckpoint(sh)
	}
	if sh.iterator == "" {
		sh.closed = true
		p.log.Info("shard closed", "shard_id", sh.id)
	}
	return len(recs), nil
}

// gather reads pages of a shard from its iterator, advancing it, until it
// holds a batch (BatchSize records, before filtering; it asks for no
// more), the shard has
// nothing more to read, or the consumer's batching window has passed since
// the first page: under load the handler gets full batches, as Lambda's
// batching window gives it, while a record on a quiet stream goes out at
// once. An error after the first page ends the gathering; the pages read
// are kept.
func (p *Poller) gather(ctx context.Context, sh *shard) ([]types.Record, error) {
	var recs []types.Record
	until := p.now().Add(time.Duration(p.cfg.Consumer.MaxBatchingWindow) * time.Second)
	for {
		limit := min(1000, max(1, p.cfg.Consumer.BatchSize-len(recs)))
		out, err := p.cfg.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(sh.iterator), Limit: aws.Int32(int32(limit))})
		if err != nil {
			if len(recs) > 0 {
				return recs, nil
			}
			return nil, fmt.Errorf("get records: %w", err)
		}
		recs = append(recs, out.Records...)
		sh.iterator = aws.ToString(out.NextShardIterator)
		if sh.iterator == "" || len(out.Records) == 0 || len(recs) >= p.cfg.Consumer.BatchSize || !p.now().Before(until) {
			return recs, nil
		}
	}
}

// process converts, filters, ages out and delivers the records of one
// GetRecords page in batches of at most BatchSize.
func (p *Poller) process(ctx context.Context, shardID string, recs []types.Record) error {
	p.stats.records.Add(int64(len(recs)))
	var selected []events.DynamoDBEventRecord
	for _, r := range recs {
		ev, err := ConvertRecord(r, p.cfg.StreamARN)
		if err != nil {
			if derr := p.deadLetter(shardID, []events.DynamoDBEventRecord{ev}, ReasonConversion, err, 0); derr != nil {
				return derr
			}
			continue
		}
		ok, err := p.matches(ev)
		if err != nil || !ok {
			p.stats.filtered.Add(1)
			continue
		}
		if age := p.cfg.Consumer.MaxRecordAgeSecs; age > 0 && !ev.Change.ApproximateCreationDateTime.IsZero() &&
			p.now().Sub(ev.Change.ApproximateCreationDateTime.Time) > time.Duration(age)*time.Second {
			if err := p.deadLetter(shardID, []events.DynamoDBEventRecord{ev}, ReasonRecordAge, nil, 0); err != nil {
				return err
			}
			continue
		}
		selected = append(selected, ev)
	}
	for len(selected) > 0 {
		if p.draining.Load() {
			return errDrained
		}
		n := min(len(selected), p.cfg.Consumer.BatchSize)
		if err := p.deliver(ctx, shardID, selected[:n]); err != nil {
			return err
		}
		if sh := p.shards[shardID]; sh != nil {
			sh.lastSeq = selected[n-1].Change.SequenceNumber // done, should the poller drain before the page ends
		}
		selected = selected[n:]
	}
	return nil
}

// errDrained ends Run between two batches after Drain.
var errDrained = errors.New("stream poller drained")

// Drain makes Run return after the batch in flight (without cutting it
// short, as cancelling its context would); Positions then tells where it
// stopped.
func (p *Poller) Drain() { p.draining.Store(true) }

// matches evaluates the filters against the record's Lambda JSON shape.
func (p *Poller) matches(ev events.DynamoDBEventRecord) (bool, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode record: %w", err)
	}
	return p.filter.MatchJSON(b)
}

func (p *Poller) checkpointFile() string {
	if p.cfg.CheckpointDir == "" {
		return ""
	}
	return filepath.Join(p.cfg.CheckpointDir, p.cfg.Consumer.Name+".json")
}

func (p *Poller) loadCheckpoint() {
	p.ckpt = checkpoint{StreamARN: p.cfg.StreamARN, Shards: map[string]string{}}
	path := p.checkpointFile()
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var c checkpoint
	if err := json.Unmarshal(b, &c); err != nil || c.StreamARN != p.cfg.StreamARN || c.Shards == nil {
		p.log.Info("ignoring checkpoint of another stream", "file", path)
		return
	}
	p.ckpt = c
}

func (p *Poller) saveCheckpoint(sh *shard) {
	path := p.checkpointFile()
	if path == "" {
		return
	}
	p.ckpt.Shards[sh.id] = sh.lastSeq
	b, err := json.Marshal(p.ckpt)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o644); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		p.log.Warn("save checkpoint", "file", path, "error", err)
	}
}

// CheckpointAtEnd writes, for each consumer, a checkpoint at the current
// end of every shard of the stream, so their pollers start after the
// records already there (a restore's writes, processed before the
// snapshot was taken).
func CheckpointAtEnd(ctx context.Context, client Streams, streamARN, dir string, consumers ...string) error {
	out, err := client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		return fmt.Errorf("describe stream %s: %w", streamARN, err)
	}
	c := checkpoint{StreamARN: streamARN, Shards: map[string]string{}}
	for _, s := range out.StreamDescription.Shards {
		last, err := lastSequence(ctx, client, streamARN, aws.ToString(s.ShardId))
		if err != nil {
			return err
		}
		if last != "" {
			c.Shards[aws.ToString(s.ShardId)] = last
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range consumers {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lastSequence reads a shard to its current end.
func lastSequence(ctx context.Context, client Streams, streamARN, shardID string) (string, error) {
	it, err := client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN),
		ShardId: aws.String(shardID), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return "", fmt.Errorf("get shard iterator: %w", err)
	}
	last, iter := "", it.ShardIterator
	for iter != nil {
		out, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
		if err != nil {
			return "", fmt.Errorf("get records: %w", err)
		}
		if len(out.Records) == 0 {
			return last, nil
		}
		last = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		iter = out.NextShardIterator
	}
	return last, nil
}
