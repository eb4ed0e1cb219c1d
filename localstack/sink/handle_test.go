package sink

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

type fakeQueue struct{ deleted []string }

func (f *fakeQueue) ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return &sqs.ReceiveMessageOutput{}, nil
}

func (f *fakeQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	for _, e := range in.Entries {
		f.deleted = append(f.deleted, aws.ToString(e.ReceiptHandle))
	}
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// TestHandle: JSON bodies become one compact line each, other bodies go to
// the reject file, and every message is deleted only after it is written.
func TestHandle(t *testing.T) {
	dir := t.TempDir()
	q := &fakeQueue{}
	s, err := New(Config{Client: q, QueueURL: "q", File: filepath.Join(dir, "events.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []types.Message{
		{MessageId: aws.String("1"), ReceiptHandle: aws.String("r1"), Body: aws.String("{\n  \"source\": \"muster\",\n  \"detail-type\": \"Incident Created\"\n}")},
		{MessageId: aws.String("2"), ReceiptHandle: aws.String("r2"), Body: aws.String("not json")},
		{MessageId: aws.String("3"), ReceiptHandle: aws.String("r3"), Body: aws.String(`{"source":"muster","detail-type":"Incident Updated"}`)},
	}
	if err := s.handle(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	events, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"muster","detail-type":"Incident Created"}` + "\n" + `{"source":"muster","detail-type":"Incident Updated"}` + "\n"
	if string(events) != want {
		t.Errorf("events file:\n%s\nwant:\n%s", events, want)
	}
	rejects, err := os.ReadFile(filepath.Join(dir, "dead-letter", "sink.jsonl"))
	if err != nil || !strings.Contains(string(rejects), `"body":"not json"`) {
		t.Errorf("reject file = %q (%v)", rejects, err)
	}
	if len(q.deleted) != 3 || s.Written() != 2 {
		t.Errorf("deleted %v, written %d", q.deleted, s.Written())
	}
}
