package sink_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/muster-sec/muster/localstack/bootstrap"
	"github.com/muster-sec/muster/localstack/sink"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

func TestMain(m *testing.M) { os.Exit(mototest.Main(m)) }

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	out, err := sink.ReadEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBootstrapAndSink bootstraps twice (idempotent), publishes Muster and
// foreign events on the bus, and checks that exactly the Muster events land
// in the events file, one per line, are posted to the webhook, and leave
// the queue.
func TestBootstrapAndSink(t *testing.T) {
	srv := mototest.Get(t)
	cfg := srv.Config()
	ctx := context.Background()
	names := bootstrap.Names{Table: mototest.UniqueName("tbl"), Bus: mototest.UniqueName("bus"), Queue: mototest.UniqueName("q")}
	first, err := bootstrap.Run(ctx, cfg, names)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	second, err := bootstrap.Run(ctx, cfg, names)
	if err != nil {
		t.Fatalf("bootstrap again: %v", err)
	}
	if first.StreamARN == "" || first.StreamARN != second.StreamARN || first.QueueURL != second.QueueURL || first.BusARN != second.BusARN {
		t.Errorf("bootstrap not idempotent: %+v vs %+v", first, second)
	}
	if first.Rule.Name != resources.LocalSinkRule.Name {
		t.Errorf("rule = %q, want %q", first.Rule.Name, resources.LocalSinkRule.Name)
	}

	posted := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posted <- b
	}))
	defer hook.Close()

	file := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := sink.New(sink.Config{Client: sqs.NewFromConfig(cfg), QueueURL: first.QueueURL, File: file, Webhook: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { _ = s.Run(runCtx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	eb := eventbridge.NewFromConfig(cfg)
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: aws.String(names.Bus), Source: aws.String(resources.EventSource), DetailType: aws.String("Incident Created"), Detail: aws.String(`{"version":"1","incident":{"id":"i1"}}`)},
		{EventBusName: aws.String(names.Bus), Source: aws.String("someone.else"), DetailType: aws.String("Other"), Detail: aws.String(`{}`)},
		{EventBusName: aws.String(names.Bus), Source: aws.String(resources.EventSource), DetailType: aws.String("Incident Updated"), Detail: aws.String(`{"version":"1","incident":{"id":"i1"}}`)},
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events: %v %+v", err, out)
	}

	deadline := time.Now().Add(15 * time.Second)
	for s.Written() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	lines := readLines(t, file)
	if len(lines) != 2 {
		t.Fatalf("events file has %d lines, want 2: %v", len(lines), lines)
	}
	types := map[string]bool{}
	for _, l := range lines {
		if l["source"] != resources.EventSource {
			t.Errorf("event source = %v", l["source"])
		}
		types[l["detail-type"].(string)] = true
		if d, ok := l["detail"].(map[string]any); !ok || d["version"] != "1" {
			t.Errorf("detail = %v", l["detail"])
		}
	}
	if !types["Incident Created"] || !types["Incident Updated"] {
		t.Errorf("detail types = %v", types)
	}
	for i := 0; i < 2; i++ {
		select {
		case b := <-posted:
			if !json.Valid(b) {
				t.Errorf("webhook body is not JSON: %s", b)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("webhook not called")
		}
	}
	// Messages are deleted after their lines are written.
	q := sqs.NewFromConfig(cfg)
	deadline = time.Now().Add(15 * time.Second)
	for {
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(first.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: %v", attrs.Attributes)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(readLines(t, file)); n != 2 {
		t.Errorf("events file has %d lines after draining, want 2", n)
	}
}
