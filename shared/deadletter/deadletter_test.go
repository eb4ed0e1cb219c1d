package deadletter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/muster-sec/muster/shared/deadletter"
)

// record is a stream record whose new image holds a description of size
// bytes.
func record(seq, size int) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{EventID: fmt.Sprintf("ev-%d", seq), EventName: "INSERT",
		Change: events.DynamoDBStreamRecord{SequenceNumber: fmt.Sprintf("%021d", seq),
			Keys:     map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute("INCIDENT#a")},
			NewImage: map[string]events.DynamoDBAttributeValue{"description": events.NewStringAttribute(strings.Repeat("x", size))}}}
}

// TestFile appends a small and a too-large letter: both are kept, the
// large one without its images and under SQS's limit.
func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead", "responder.jsonl")
	d := deadletter.NewFile(path, "responder")
	for i, size := range []int{10, 300 << 10} {
		if err := d.Send(context.Background(), record(i+1, size), deadletter.Reason{Code: "MalformedDetail", Message: "bad", EventID: "a:v1"}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	for i, line := range lines {
		var l deadletter.Letter
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		if l.Consumer != "responder" || l.Reason.Code != "MalformedDetail" || l.Record.Change.SequenceNumber != fmt.Sprintf("%021d", i+1) {
			t.Errorf("letter %d: %+v", i, l)
		}
		if l.ImagesDropped != (i == 1) || (i == 0 && l.Record.Change.NewImage == nil) || l.Record.Change.Keys == nil {
			t.Errorf("letter %d: imagesDropped %v", i, l.ImagesDropped)
		}
		if len(line) > deadletter.MaxBytes {
			t.Errorf("letter %d is %d bytes", i, len(line))
		}
	}
}

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	d := deadletter.NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), "responder")
	if err := d.Send(context.Background(), record(1, 10), deadletter.Reason{Code: "MalformedDetail", Message: "bad"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"level":"ERROR"`) || !strings.Contains(buf.String(), `"MalformedDetail"`) {
		t.Errorf("log: %s", buf.String())
	}
}
