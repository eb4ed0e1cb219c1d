package handler

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/deadletter"
)

// Reason codes set by the handler; others are the APIs' error codes.
const (
	CodeUndecodable         = "Undecodable"
	CodeUnprocessedFindings = "UnprocessedFindings"
)

// DeadLetter keeps records whose change the sources refuse
// (deadletter.SQS, deadletter.Log). Send must not return nil unless the
// record is durably kept.
type DeadLetter interface {
	Send(ctx context.Context, record events.DynamoDBEventRecord, reason deadletter.Reason) error
}

// maxMessage bounds a letter's message (refused finding ids can be many).
const maxMessage = 64 << 10

// letter is what the handler dead-letters for rec: the record without its
// images (the keys and sequence number name the item; the incident keeps
// its history), so a letter stays far below SQS's message limit.
func letter(rec events.DynamoDBEventRecord, r deadletter.Reason) (events.DynamoDBEventRecord, deadletter.Reason) {
	rec.Change.NewImage, rec.Change.OldImage = nil, nil
	if len(r.Message) > maxMessage {
		r.Message = r.Message[:maxMessage]
	}
	return rec, r
}
