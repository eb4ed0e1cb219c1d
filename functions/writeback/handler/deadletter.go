package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/shared/resources"
)

// Reason says why a record was dead-lettered. Message never holds
// secrets: it is an error code's text, finding ids, or a decoding error.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Reason codes set by the handler; others are the APIs' error codes.
const (
	CodeUndecodable         = "Undecodable"
	CodeUnprocessedFindings = "UnprocessedFindings"
)

// DeadLetter keeps records whose change the sources refuse. Send must not
// return nil unless the record is durably kept.
type DeadLetter interface {
	Send(ctx context.Context, record events.DynamoDBEventRecord, reason Reason) error
}

// Letter is one dead-lettered record. The images are left out (the keys
// and sequence number name the item; the incident keeps its history), so
// a letter stays far below SQS's message limit.
type Letter struct {
	At       time.Time                  `json:"at"`
	Consumer string                     `json:"consumer"`
	Reason   Reason                     `json:"reason"`
	Record   events.DynamoDBEventRecord `json:"record"`
}

func encodeLetter(rec events.DynamoDBEventRecord, r Reason, now time.Time) ([]byte, error) {
	rec.Change.NewImage, rec.Change.OldImage = nil, nil
	if len(r.Message) > 64<<10 {
		r.Message = r.Message[:64<<10]
	}
	b, err := json.Marshal(Letter{At: now.UTC(), Consumer: resources.WriteBack.Name, Reason: r, Record: rec})
	if err != nil {
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
	now    func() time.Time
}

var _ DeadLetter = (*SQSDeadLetter)(nil)

// NewSQSDeadLetter returns a dead letter for the queue at url.
func NewSQSDeadLetter(client SQSSender, url string) *SQSDeadLetter {
	return &SQSDeadLetter{client: client, url: url, now: time.Now}
}

// Send implements DeadLetter.
func (d *SQSDeadLetter) Send(ctx context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := encodeLetter(rec, r, d.now())
	if err != nil {
		return err
	}
	if _, err := d.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.url), MessageBody: aws.String(string(b))}); err != nil {
		return fmt.Errorf("send dead letter: %w", err)
	}
	return nil
}

// LogDeadLetter keeps letters in the log only, at error level: the
// fallback when no queue is configured.
type LogDeadLetter struct{ log *slog.Logger }

var _ DeadLetter = (*LogDeadLetter)(nil)

// NewLogDeadLetter returns a dead letter writing to log.
func NewLogDeadLetter(log *slog.Logger) *LogDeadLetter { return &LogDeadLetter{log: log} }

// Send implements DeadLetter.
func (d *LogDeadLetter) Send(_ context.Context, rec events.DynamoDBEventRecord, r Reason) error {
	b, err := encodeLetter(rec, r, time.Now())
	if err != nil {
		return err
	}
	d.log.Error("dead letter", "letter", json.RawMessage(b))
	return nil
}
