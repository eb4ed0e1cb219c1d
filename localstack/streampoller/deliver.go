package streampoller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Handler is a stream consumer function (the correlator, the responder).
type Handler interface {
	Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return f(ctx, ev)
}

// Dead-letter reasons.
const (
	ReasonHandlerError = "handler_error"      // the function returned an error for the whole batch
	ReasonItemFailure  = "batch_item_failure" // the function named the record in BatchItemFailures
	ReasonRecordAge    = "record_age"         // older than MaxRecordAgeSecs before delivery
	ReasonConversion   = "conversion_error"   // the stream record could not be converted
)

// DeadLetter is one line of .muster/dead-letter/<consumer>.jsonl.
type DeadLetter struct {
	Consumer  string                     `json:"consumer"`
	Reason    string                     `json:"reason"`
	Error     string                     `json:"error,omitempty"`
	Attempts  int                        `json:"attempts"`
	ShardID   string                     `json:"shardId,omitempty"`
	FailedAt  time.Time                  `json:"failedAt"`
	Record    events.DynamoDBEventRecord `json:"record"`
	StreamARN string                     `json:"streamArn,omitempty"`
}

// deadLetters appends to one JSONL file.
type deadLetters struct {
	mu   sync.Mutex
	path string
}

func (d *deadLetters) append(entries []DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return AppendDeadLetters(d.path, entries)
}

// deliver invokes the handler with batch as a Lambda event source mapping
// does with ReportBatchItemFailures:
//
//   - success with no BatchItemFailures: the batch is done;
//   - BatchItemFailures: the records before the lowest failed sequence number
//     are done; the batch is retried from that record on. An identifier that
//     names no record of the batch (or is empty) fails the whole batch, as in
//     Lambda;
//   - an error (or a panic): the whole batch is retried;
//   - after MaxRetryAttempts retries the records that failed in the last
//     attempt (every record of the batch after an error, the named ones
//     after a partial failure) go to the dead-letter file, and the poller
//     moves on.
//
// It returns an error only when ctx ends (the batch is then not
// checkpointed and is delivered again on the next start).
func (p *Poller) deliver(ctx context.Context, shardID string, batch []events.DynamoDBEventRecord) error {
	failures := 0
	for len(batch) > 0 {
		resp, err := p.invoke(ctx, batch)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var (
			from   int
			failed []events.DynamoDBEventRecord
			reason string
		)
		switch {
		case err != nil:
			from, failed, reason = 0, batch, ReasonHandlerError
		case len(resp.BatchItemFailures) == 0:
			return nil
		default:
			from, failed = failedFrom(batch, resp.BatchItemFailures)
			reason = ReasonItemFailure
			if from < 0 {
				from, failed, reason = 0, batch, ReasonItemFailure
				err = fmt.Errorf("batch item failure names a record outside the batch")
			}
		}
		failures++
		p.stats.retries.Add(1)
		p.log.Warn("batch failed", "shard_id", shardID, "records", len(batch), "failed_records", len(failed),
			"retry_from", batch[from].Change.SequenceNumber, "attempt", failures, "max_retries", p.cfg.Consumer.MaxRetryAttempts,
			"reason", reason, "error", errString(err))
		if failures > p.cfg.Consumer.MaxRetryAttempts {
			return p.deadLetter(shardID, failed, reason, err, failures)
		}
		batch = batch[from:]
		if err := p.wait(ctx, p.backoff(failures)); err != nil {
			return err
		}
	}
	return nil
}

// failedFrom returns the index of the lowest failed record and the records
// named as failed; -1 when an identifier matches no record.
func failedFrom(batch []events.DynamoDBEventRecord, fs []events.DynamoDBBatchItemFailure) (int, []events.DynamoDBEventRecord) {
	index := make(map[string]int, len(batch))
	for i, r := range batch {
		index[r.Change.SequenceNumber] = i
	}
	lowest := len(batch)
	named := make(map[int]bool, len(fs))
	for _, f := range fs {
		i, ok := index[f.ItemIdentifier]
		if !ok || f.ItemIdentifier == "" {
			return -1, nil
		}
		named[i] = true
		lowest = min(lowest, i)
	}
	var failed []events.DynamoDBEventRecord
	for i, r := range batch {
		if named[i] {
			failed = append(failed, r)
		}
	}
	return lowest, failed
}

func (p *Poller) deadLetter(shardID string, recs []events.DynamoDBEventRecord, reason string, err error, attempts int) error {
	now := p.now()
	entries := make([]DeadLetter, 0, len(recs))
	for _, r := range recs {
		entries = append(entries, DeadLetter{
			Consumer: p.cfg.Consumer.Name, Reason: reason, Error: errString(err), Attempts: attempts,
			ShardID: shardID, FailedAt: now, Record: r, StreamARN: r.EventSourceArn,
		})
	}
	p.stats.deadLettered.Add(int64(len(entries)))
	if werr := p.dead.append(entries); werr != nil {
		// Nothing else can keep them: log the identities so they are not lost silently.
		for _, r := range recs {
			p.log.Error("dead letter not written", "sequence_number", r.Change.SequenceNumber, "event_id", r.EventID, "error", werr)
		}
		return nil
	}
	p.log.Error("records sent to dead-letter file", "shard_id", shardID, "records", len(entries), "reason", reason,
		"attempts", attempts, "file", p.dead.path)
	return nil
}

// invoke calls the handler, turning a panic into an error as the Lambda
// runtime reports a crashed invocation.
func (p *Poller) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (resp events.DynamoDBEventResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	p.stats.invocations.Add(1)
	ev := events.DynamoDBEvent{Records: append([]events.DynamoDBEventRecord(nil), batch...)}
	return p.cfg.Handler.Handle(ctx, ev)
}

func (p *Poller) backoff(attempt int) time.Duration {
	d := p.cfg.RetryBackoff << min(attempt-1, 5)
	return min(d, 2*time.Second)
}

func (p *Poller) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
