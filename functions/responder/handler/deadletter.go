package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/shared/resources"
)

// Letter is one dead-lettered record, as written to the queue or file.
type Letter struct {
	At       time.Time                  `json:"at"`
	Consumer string                     `json:"consumer"`
	Reason   Reason                     `json:"reason"`
	Record   events.DynamoDBEventRecord `json:"record"`
	// ImagesDropped is set when the record's images were left out to fit
	// the queue's message limit; the keys and sequence number remain, so
	// the item can be read from the table.
	ImagesDropped bool `json:"imagesDropped,omitempty"`
}

// now is the dead-letter clock; tests replace it.
var now = time.Now

// maxLetterBytes keeps a letter under SQS's 256 KB message limit.
const maxLetterBytes = 250 << 10

// encodeLetter marshals a letter, dropping the images when it is too large.
func encodeLetter(rec events.DynamoDBEventRecord, r Reason) ([]byte, error) {
	l := Letter{At: now().UTC(), Consumer: resources.Responder.Name, Reason: r, Record: rec}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode dead letter: %w", err)
	}
	if len(b) <= maxLetterBytes {
		return b, nil
	}
	l.Record.Change.NewImage, l.Record.Change.OldImage, l.ImagesDropped = nil, nil, true
	if b, err = json.Marshal(l); err != nil {
		return nil, fmt.Errorf("encode dead letter: %w", err)
	}
	return b, nil
}

// SQSSender is the part of the SQS client the SQS dead letter uses.
type SQSSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSDeadLetter sends letters to an SQS queue.
type SQSDeadLetter struct {
	client SQSSender
	url    string
}

var _ DeadLetter = (*SQSDeadLetter)(nil)

// NewSQSDeadLetter returns a dead letter for the queue at url.
func NewSQSDeadLetter(client SQSSender, url string) *SQSDeadLetter {
	return &SQSDeadLetter{client: client, url: url}
}

// Send implements DeadLetter.
func (d *SQSDeadLetter) Send(ctx context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := encodeLetter(rec, r)
	if err != nil {
		return err
	}
	if _, err := d.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.url), MessageBody: aws.String(string(b))}); err != nil {
		return fmt.Errorf("send dead letter: %w", err)
	}
	return nil
}

// FileDeadLetter appends letters to a JSON Lines file (the local stack).
type FileDeadLetter struct {
	mu   sync.Mutex
	path string
}

var _ DeadLetter = (*FileDeadLetter)(nil)

// NewFileDeadLetter returns a dead letter appending to path; the directory
// is created on first use.
func NewFileDeadLetter(path string) *FileDeadLetter { return &FileDeadLetter{path: path} }

// Send implements DeadLetter; the line is synced before it returns.
func (d *FileDeadLetter) Send(_ context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := encodeLetter(rec, r)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return fmt.Errorf("dead-letter directory: %w", err)
	}
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open dead-letter file: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	for _, err := range []error{werr, serr, cerr} {
		if err != nil {
			return fmt.Errorf("write dead-letter file: %w", err)
		}
	}
	return nil
}

// LogDeadLetter keeps letters in the log only, at error level; it is the
// fallback when no queue or file is configured.
type LogDeadLetter struct{ log *slog.Logger }

var _ DeadLetter = (*LogDeadLetter)(nil)

// NewLogDeadLetter returns a dead letter writing to log.
func NewLogDeadLetter(log *slog.Logger) *LogDeadLetter { return &LogDeadLetter{log: log} }

// Send implements DeadLetter.
func (d *LogDeadLetter) Send(_ context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := encodeLetter(rec, r)
	if err != nil {
		return err
	}
	d.log.Error("dead letter", "letter", json.RawMessage(b))
	return nil
}
