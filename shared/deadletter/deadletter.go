// Package deadletter keeps the stream records a consumer can never
// process, so that none is lost and none blocks its shard: each becomes a
// Letter (the record, why, when and by whom) sent to an SQS queue (in AWS),
// appended to a JSON Lines file (the local stack) or, failing both,
// logged at error level.
package deadletter

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
)

// Reason says why a record was dead-lettered. Message never holds secrets:
// it is an error code's text, ids or a decoding error, not the record's
// values.
type Reason struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	EventID    string `json:"eventId,omitempty"`
	DetailType string `json:"detailType,omitempty"`
}

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

// MaxBytes keeps a letter under SQS's 256 KB message limit.
const MaxBytes = 250 << 10

// Encode marshals the letter consumer writes about rec at now, dropping
// the images when it is larger than MaxBytes.
func Encode(consumer string, rec events.DynamoDBEventRecord, r Reason, now time.Time) ([]byte, error) {
	l := Letter{At: now.UTC(), Consumer: consumer, Reason: r, Record: rec}
	b, err := json.Marshal(l)
	if err != nil {
		return nil, fmt.Errorf("encode dead letter: %w", err)
	}
	if len(b) <= MaxBytes {
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

// SQS sends letters to an SQS queue.
type SQS struct {
	client   SQSSender
	url      string
	consumer string
}

// NewSQS returns consumer's dead letter for the queue at url.
func NewSQS(client SQSSender, url, consumer string) *SQS {
	return &SQS{client: client, url: url, consumer: consumer}
}

// Send keeps rec in the queue; nil means SQS has it.
func (d *SQS) Send(ctx context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := Encode(d.consumer, rec, r, time.Now())
	if err != nil {
		return err
	}
	if _, err := d.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.url), MessageBody: aws.String(string(b))}); err != nil {
		return fmt.Errorf("send dead letter: %w", err)
	}
	return nil
}

// File appends letters to a JSON Lines file (the local stack).
type File struct {
	mu       sync.Mutex
	path     string
	consumer string
}

// NewFile returns consumer's dead letter appending to path; the directory
// is created on first use.
func NewFile(path, consumer string) *File { return &File{path: path, consumer: consumer} }

// Send appends rec's letter; the line is synced before it returns.
func (d *File) Send(_ context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := Encode(d.consumer, rec, r, time.Now())
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

// Log keeps letters in the log only, at error level: the fallback when no
// queue or file is configured.
type Log struct {
	log      *slog.Logger
	consumer string
}

// NewLog returns consumer's dead letter writing to log.
func NewLog(log *slog.Logger, consumer string) *Log { return &Log{log: log, consumer: consumer} }

// Send logs rec's letter.
func (d *Log) Send(_ context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := Encode(d.consumer, rec, r, time.Now())
	if err != nil {
		return err
	}
	d.log.Error("dead letter", "letter", json.RawMessage(b))
	return nil
}
