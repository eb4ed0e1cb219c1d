// Package sink is the local stand-in for EventBridge targets: it drains the
// SQS queue that the local sink rule (resources.LocalSinkRule) feeds and
// appends each event, one EventBridge event JSON per line, to
// .muster/events.jsonl. With a webhook URL it also POSTs each event there
// (application/json, the event as the body), from a bounded queue so a slow
// or failing webhook never holds up the sink; failures are logged.
//
// A message is deleted from the queue only after its line is written, so a
// crash delivers it again (at least once, like EventBridge).
package sink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue is the part of the SQS API the sink uses.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

var _ Queue = (*sqs.Client)(nil)

// Config configures a Sink. Client, QueueURL and File are required.
type Config struct {
	Client   Queue
	QueueURL string
	// File is the events file (appended to).
	File string
	// RejectFile receives bodies that are not JSON; next to File when empty.
	RejectFile string
	// Webhook, when set, receives a POST per event.
	Webhook    string
	HTTPClient *http.Client
	// WaitSeconds is the SQS long-poll wait; 1 when zero.
	WaitSeconds int32
	Logger      *slog.Logger
}

// Sink drains the queue.
type Sink struct {
	cfg     Config
	log     *slog.Logger
	mu      sync.Mutex
	written atomic.Int64
	empty   atomic.Int64
	hooks   chan []byte
}

// New validates cfg.
func New(cfg Config) (*Sink, error) {
	if cfg.Client == nil || cfg.QueueURL == "" || cfg.File == "" {
		return nil, errors.New("sink: client, queue URL and file are required")
	}
	if cfg.WaitSeconds <= 0 {
		cfg.WaitSeconds = 1
	}
	if cfg.RejectFile == "" {
		cfg.RejectFile = filepath.Join(filepath.Dir(cfg.File), "dead-letter", "sink.jsonl")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(cfg.File), 0o755); err != nil {
		return nil, fmt.Errorf("sink: create events dir: %w", err)
	}
	return &Sink{cfg: cfg, log: log, hooks: make(chan []byte, 256)}, nil
}

// Written is the number of events appended so far.
func (s *Sink) Written() int64 { return s.written.Load() }

// EmptyPolls counts the receives that found the queue empty: two more
// than before a moment means the queue was drained after that moment.
func (s *Sink) EmptyPolls() int64 { return s.empty.Load() }

// Run drains the queue until ctx ends; it returns nil then.
func (s *Sink) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if s.cfg.Webhook != "" {
		wg.Go(func() { s.postLoop(ctx) })
	}
	defer wg.Wait()
	for ctx.Err() == nil {
		out, err := s.cfg.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.cfg.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: s.cfg.WaitSeconds,
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.log.Warn("receive from sink queue", "error", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			continue
		}
		if len(out.Messages) == 0 {
			s.empty.Add(1)
			continue
		}
		if err := s.handle(ctx, out.Messages); err != nil {
			s.log.Error("write events", "error", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
		}
	}
	return nil
}

// handle writes a batch of messages and deletes the written ones.
func (s *Sink) handle(ctx context.Context, msgs []types.Message) error {
	var lines, rejects [][]byte
	for _, m := range msgs {
		body := []byte(aws.ToString(m.Body))
		var buf bytes.Buffer
		if err := json.Compact(&buf, body); err != nil || !json.Valid(body) {
			s.log.Warn("sink message is not JSON; kept in the reject file", "message_id", aws.ToString(m.MessageId))
			r, _ := json.Marshal(map[string]string{"messageId": aws.ToString(m.MessageId), "body": string(body)})
			rejects = append(rejects, r)
			continue
		}
		lines = append(lines, buf.Bytes())
	}
	if err := appendLines(s.cfg.RejectFile, rejects); err != nil {
		return err
	}
	s.mu.Lock()
	err := appendLines(s.cfg.File, lines)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.written.Add(int64(len(lines)))
	for _, l := range lines {
		s.log.Info("event", "detail_type", detailType(l), "file", s.cfg.File)
		if s.cfg.Webhook != "" {
			select {
			case s.hooks <- l:
			default:
				s.log.Warn("webhook queue full; event not posted")
			}
		}
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(msgs))
	for i, m := range msgs {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
	}
	out, err := s.cfg.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(s.cfg.QueueURL), Entries: entries})
	if err != nil {
		return fmt.Errorf("delete sink messages: %w", err)
	}
	for _, f := range out.Failed {
		s.log.Warn("delete sink message", "id", aws.ToString(f.Id), "code", aws.ToString(f.Code))
	}
	return nil
}

// ReadEvents returns the events a sink wrote to path, one a line; none
// when it has written none yet.
func ReadEvents(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s: a line is not JSON: %w", path, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

func appendLines(path string, lines [][]byte) error {
	if len(lines) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create dir of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

func (s *Sink) postLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.hooks:
			s.post(ctx, ev)
		}
	}
}

func (s *Sink) post(ctx context.Context, ev []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Webhook, bytes.NewReader(ev))
	if err != nil {
		s.log.Warn("webhook request could not be built")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			// The URL of a chat webhook is a secret: log the cause only.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			s.log.Warn("webhook post failed", "error", err)
		}
		return
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.log.Warn("webhook post rejected", "status", resp.StatusCode)
	}
}

func detailType(line []byte) string {
	var ev struct {
		DetailType string `json:"detail-type"`
	}
	_ = json.Unmarshal(line, &ev)
	return ev.DetailType
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
