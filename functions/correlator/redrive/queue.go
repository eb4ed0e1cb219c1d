package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrExpired: the stream no longer holds a parked batch's records
// (DynamoDB keeps them 24 hours), so its alerts cannot be named from it.
var ErrExpired = errors.New("the stream no longer holds the parked records")

// Failure is the message Lambda sends to a stream mapping's on-failure
// destination: the position of a batch that ran out of retries or aged
// out, not its records.
type Failure struct {
	RequestContext struct {
		Condition   string `json:"condition"` // RetryAttemptsExhausted, RecordAgeExceeded, …
		FunctionArn string `json:"functionArn"`
	} `json:"requestContext"`
	Timestamp time.Time `json:"timestamp"`
	Batch     BatchInfo `json:"DDBStreamBatchInfo"`
}

// BatchInfo locates a parked batch on the stream.
type BatchInfo struct {
	ShardID             string    `json:"shardId"`
	StartSequenceNumber string    `json:"startSequenceNumber"`
	EndSequenceNumber   string    `json:"endSequenceNumber"`
	FirstArrival        time.Time `json:"approximateArrivalOfFirstRecord"`
	LastArrival         time.Time `json:"approximateArrivalOfLastRecord"`
	BatchSize           int       `json:"batchSize"`
	StreamARN           string    `json:"streamArn"`
}

// ParseFailure decodes an on-failure message; the error names the missing
// field.
func ParseFailure(body string) (Failure, error) {
	var f Failure
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return f, fmt.Errorf("on-failure message: %w", err)
	}
	b := f.Batch
	switch {
	case b.StreamARN == "":
		return f, errors.New("on-failure message: DDBStreamBatchInfo.streamArn is missing")
	case b.ShardID == "":
		return f, errors.New("on-failure message: DDBStreamBatchInfo.shardId is missing")
	case seq(b.StartSequenceNumber) == nil:
		return f, errors.New("on-failure message: DDBStreamBatchInfo.startSequenceNumber is not a sequence number")
	case seq(b.EndSequenceNumber) == nil:
		return f, errors.New("on-failure message: DDBStreamBatchInfo.endSequenceNumber is not a sequence number")
	}
	return f, nil
}

// seq parses a stream sequence number (a decimal of up to 40 digits).
func seq(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil
	}
	return n
}

// Streams is the part of the DynamoDB Streams API BatchAlertIDs uses.
type Streams interface {
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

var _ Streams = (*dynamodbstreams.Client)(nil)

// maxEmptyPages bounds the GetRecords calls that return nothing before
// the batch's end is reached (an open shard can answer empty pages).
const maxEmptyPages = 10

// BatchAlertIDs reads a parked batch back from the stream, from its start
// sequence number through its end, and returns the alerts its records name.
// The error wraps ErrExpired when the stream no longer holds the records.
func BatchAlertIDs(ctx context.Context, st Streams, b BatchInfo) ([]string, error) {
	end := seq(b.EndSequenceNumber)
	it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn: aws.String(b.StreamARN), ShardId: aws.String(b.ShardID),
		ShardIteratorType: stypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(b.StartSequenceNumber),
	})
	if err != nil {
		return nil, streamError("get shard iterator", err)
	}
	var ids []string
	seen := map[string]bool{}
	iter, empty := it.ShardIterator, 0
	for iter != nil && empty < maxEmptyPages {
		out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			return nil, streamError("get records", err)
		}
		if len(out.Records) == 0 {
			empty++
		}
		for _, r := range out.Records {
			if r.Dynamodb == nil {
				continue
			}
			if n := seq(aws.ToString(r.Dynamodb.SequenceNumber)); n == nil || n.Cmp(end) > 0 {
				return ids, nil
			}
			if id := recordAlertID(r); id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		iter = out.NextShardIterator
	}
	return ids, nil
}

func recordAlertID(r stypes.Record) string {
	if r.EventName != stypes.OperationTypeInsert && r.EventName != stypes.OperationTypeModify {
		return ""
	}
	pk, ok := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS)
	if !ok {
		return ""
	}
	return alertID(pk.Value)
}

func streamError(op string, err error) error {
	var trimmed *stypes.TrimmedDataAccessException
	var expired *stypes.ExpiredIteratorException
	var gone *stypes.ResourceNotFoundException
	if errors.As(err, &trimmed) || errors.As(err, &expired) || errors.As(err, &gone) {
		return fmt.Errorf("%s: %w (%w)", op, ErrExpired, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Queue is the part of the SQS API DrainQueue uses.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ Queue = (*sqs.Client)(nil)

// QueueConfig wires DrainQueue. Every field but Now and Logger is required.
type QueueConfig struct {
	Queue    Queue
	QueueURL string
	Streams  Streams
	DB       Table
	Table    string
	Now      func() time.Time
	Logger   *slog.Logger
	// Hide is how long a message that could not be redriven stays
	// invisible, so one run does not read it again; 15 minutes when zero.
	Hide time.Duration
}

// Report counts what a drain did.
type Report struct {
	Messages  int // on-failure messages read
	Redriven  int // messages whose alerts were all touched, then deleted
	Expired   int // messages left: the stream no longer holds their records
	Failed    int // messages left: bad message or an API error
	Touched   int // alerts touched
	Missing   int // alerts that no longer exist
	LastError error
}

// DrainQueue redrives every message of the on-failure queue: it reads the
// batch's alerts back from the stream, touches them, and deletes the
// message. A message it cannot redrive stays in the queue (the alarm on it
// stays raised) and is counted.
func DrainQueue(ctx context.Context, c QueueConfig) (Report, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Hide <= 0 {
		c.Hide = 15 * time.Minute
	}
	var rep Report
	for {
		out, err := c.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(c.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			VisibilityTimeout: int32(c.Hide / time.Second),
		})
		if err != nil {
			return rep, fmt.Errorf("receive from %s: %w", c.QueueURL, err)
		}
		if len(out.Messages) == 0 {
			return rep, nil
		}
		for _, m := range out.Messages {
			rep.Messages++
			if err := redriveMessage(ctx, c, aws.ToString(m.Body), &rep); err != nil {
				if errors.Is(err, ErrExpired) {
					rep.Expired++
				} else {
					rep.Failed++
				}
				rep.LastError = err
				c.Logger.ErrorContext(ctx, "parked batch not redriven", "message_id", aws.ToString(m.MessageId), "error", err)
				continue
			}
			if _, err := c.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(c.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return rep, fmt.Errorf("delete redriven message: %w", err)
			}
			rep.Redriven++
		}
	}
}

func redriveMessage(ctx context.Context, c QueueConfig, body string, rep *Report) error {
	f, err := ParseFailure(body)
	if err != nil {
		return err
	}
	ids, err := BatchAlertIDs(ctx, c.Streams, f.Batch)
	if err != nil {
		return fmt.Errorf("batch %s %s..%s: %w", f.Batch.ShardID, f.Batch.StartSequenceNumber, f.Batch.EndSequenceNumber, err)
	}
	t, err := Touch(ctx, c.DB, c.Table, ids, c.Now())
	rep.Touched += t.Touched
	rep.Missing += t.Missing
	return err
}
