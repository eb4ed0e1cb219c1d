package streampoller

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/shared/resources"
)

const testARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-28T00:00:00.000"

// script is a fake consumer: for each invocation it returns the next
// outcome (the last one repeats) and records the sequence numbers it got.
type script struct {
	mu       sync.Mutex
	outcomes []func(ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	calls    [][]string
}

func (s *script) Handle(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	s.mu.Lock()
	var seqs []string
	for _, r := range ev.Records {
		seqs = append(seqs, r.Change.SequenceNumber)
	}
	s.calls = append(s.calls, seqs)
	i := min(len(s.calls)-1, len(s.outcomes)-1)
	s.mu.Unlock()
	if i < 0 {
		return events.DynamoDBEventResponse{}, nil
	}
	return s.outcomes[i](ev)
}

func (s *script) seen() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.calls...)
}

func ok(events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return events.DynamoDBEventResponse{}, nil
}

func fail(events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return events.DynamoDBEventResponse{}, errors.New("boom")
}

func failSeq(seqs ...string) func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var r events.DynamoDBEventResponse
		for _, s := range seqs {
			r.BatchItemFailures = append(r.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: s})
		}
		return r, nil
	}
}

func batchOf(seqs ...string) []events.DynamoDBEventRecord {
	var out []events.DynamoDBEventRecord
	for _, s := range seqs {
		out = append(out, events.DynamoDBEventRecord{EventID: "e" + s, EventName: "INSERT", EventSourceArn: testARN,
			Change: events.DynamoDBStreamRecord{SequenceNumber: s}})
	}
	return out
}

func newTestPoller(t *testing.T, h Handler, client Streams, maxRetries int) *Poller {
	t.Helper()
	c := resources.StreamConsumer{Name: "test", BatchSize: 3, MaxRetryAttempts: maxRetries}
	if client == nil {
		client = &fakeStreams{}
	}
	p, err := New(Config{Consumer: c, StreamARN: testARN, Client: client, Handler: h,
		DeadLetterDir: filepath.Join(t.TempDir(), "dead-letter"), RetryBackoff: -1, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readDead(t *testing.T, path string) []DeadLetter {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []DeadLetter
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

func TestDeliverRetries(t *testing.T) {
	tests := []struct {
		name       string
		outcomes   []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
		maxRetries int
		wantCalls  [][]string
		wantDead   []string
		wantReason string
	}{
		{
			name: "success", outcomes: nil, maxRetries: 2,
			wantCalls: [][]string{{"1", "2", "3"}},
		},
		{
			name: "partial failure retries from the lowest failed record", maxRetries: 2,
			outcomes:  []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){failSeq("3", "2"), ok},
			wantCalls: [][]string{{"1", "2", "3"}, {"2", "3"}},
		},
		{
			name: "error retries the whole batch", maxRetries: 2,
			outcomes:  []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){fail, ok},
			wantCalls: [][]string{{"1", "2", "3"}, {"1", "2", "3"}},
		},
		{
			name: "unknown identifier fails the whole batch", maxRetries: 2,
			outcomes:  []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){failSeq("99"), ok},
			wantCalls: [][]string{{"1", "2", "3"}, {"1", "2", "3"}},
		},
		{
			name: "empty identifier fails the whole batch", maxRetries: 1,
			outcomes:  []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){failSeq(""), ok},
			wantCalls: [][]string{{"1", "2", "3"}, {"1", "2", "3"}},
		},
		{
			name: "errors exhaust retries: whole batch to dead letters", maxRetries: 2,
			outcomes:   []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){fail},
			wantCalls:  [][]string{{"1", "2", "3"}, {"1", "2", "3"}, {"1", "2", "3"}},
			wantDead:   []string{"1", "2", "3"},
			wantReason: ReasonHandlerError,
		},
		{
			name: "item failures exhaust retries: the named records to dead letters", maxRetries: 1,
			outcomes:   []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){failSeq("2")},
			wantCalls:  [][]string{{"1", "2", "3"}, {"2", "3"}},
			wantDead:   []string{"2"},
			wantReason: ReasonItemFailure,
		},
		{
			name: "no retries configured", maxRetries: 0,
			outcomes:   []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){failSeq("3")},
			wantCalls:  [][]string{{"1", "2", "3"}},
			wantDead:   []string{"3"},
			wantReason: ReasonItemFailure,
		},
		{
			name: "a panic is an error", maxRetries: 1,
			outcomes: []func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error){
				func(events.DynamoDBEvent) (events.DynamoDBEventResponse, error) { panic("bad record") }, ok,
			},
			wantCalls: [][]string{{"1", "2", "3"}, {"1", "2", "3"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &script{outcomes: tt.outcomes}
			p := newTestPoller(t, h, nil, tt.maxRetries)
			if err := p.deliver(context.Background(), "shard-1", batchOf("1", "2", "3")); err != nil {
				t.Fatal(err)
			}
			if got := h.seen(); !reflect.DeepEqual(got, tt.wantCalls) {
				t.Errorf("invocations = %v, want %v", got, tt.wantCalls)
			}
			dead := readDead(t, p.DeadLetterFile())
			var seqs []string
			for _, d := range dead {
				seqs = append(seqs, d.Record.Change.SequenceNumber)
				if d.Reason != tt.wantReason || d.Consumer != "test" || d.Attempts != tt.maxRetries+1 || d.ShardID != "shard-1" {
					t.Errorf("dead letter = %+v", d)
				}
			}
			if !reflect.DeepEqual(seqs, tt.wantDead) {
				t.Errorf("dead letters = %v, want %v", seqs, tt.wantDead)
			}
			if st := p.Stats(); st.DeadLettered != int64(len(tt.wantDead)) || st.Invocations != int64(len(tt.wantCalls)) {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestDeliverStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := HandlerFunc(func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		cancel()
		return events.DynamoDBEventResponse{}, errors.New("interrupted")
	})
	p := newTestPoller(t, h, nil, 3)
	if err := p.deliver(ctx, "s", batchOf("1")); !errors.Is(err, context.Canceled) {
		t.Fatalf("deliver = %v, want context.Canceled", err)
	}
	if dead := readDead(t, p.DeadLetterFile()); len(dead) != 0 {
		t.Errorf("an interrupted batch must not be dead-lettered: %v", dead)
	}
}

// fakeStreams serves shards of records; a shard is closed when its records
// are exhausted and closed is set. Iterators are "<shard>:<offset>".
type fakeStreams struct {
	mu     sync.Mutex
	shards []fakeShard
	// iterRequests records the iterator types asked for, per shard.
	iterRequests []string
}

type fakeShard struct {
	id, parent string
	records    []types.Record
	closed     bool
}

func (f *fakeStreams) DescribeStream(_ context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// One shard per page, to exercise paging.
	start := 0
	if in.ExclusiveStartShardId != nil {
		for i, s := range f.shards {
			if s.id == *in.ExclusiveStartShardId {
				start = i + 1
			}
		}
	}
	d := &types.StreamDescription{StreamArn: in.StreamArn}
	if start < len(f.shards) {
		s := f.shards[start]
		d.Shards = []types.Shard{{ShardId: aws.String(s.id), ParentShardId: nilIfEmpty(s.parent)}}
		if start+1 < len(f.shards) {
			d.LastEvaluatedShardId = aws.String(s.id)
		}
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (f *fakeStreams) shard(id string) *fakeShard {
	for i := range f.shards {
		if f.shards[i].id == id {
			return &f.shards[i]
		}
	}
	return nil
}

func (f *fakeStreams) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.shard(*in.ShardId)
	offset := 0
	f.iterRequests = append(f.iterRequests, fmt.Sprintf("%s:%s:%s", *in.ShardId, in.ShardIteratorType, aws.ToString(in.SequenceNumber)))
	if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber {
		for i, r := range s.records {
			if *r.Dynamodb.SequenceNumber == *in.SequenceNumber {
				offset = i + 1
			}
		}
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%s:%d", s.id, offset))}, nil
}

func (f *fakeStreams) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var id string
	var offset int
	for i := len(*in.ShardIterator) - 1; i >= 0; i-- {
		if (*in.ShardIterator)[i] == ':' {
			id = (*in.ShardIterator)[:i]
			offset, _ = strconv.Atoi((*in.ShardIterator)[i+1:])
			break
		}
	}
	s := f.shard(id)
	end := min(len(s.records), offset+min(2, int(aws.ToInt32(in.Limit)))) // two records per page at most
	out := &dynamodbstreams.GetRecordsOutput{Records: s.records[offset:end]}
	if end < len(s.records) || !s.closed {
		out.NextShardIterator = aws.String(fmt.Sprintf("%s:%d", id, end))
	}
	return out, nil
}

func streamRecord(seq, event, pk, sk string, created time.Time) types.Record {
	return types.Record{
		EventID: aws.String("ev-" + seq), EventName: types.OperationType(event), AwsRegion: aws.String("us-east-1"),
		EventSource: aws.String("aws:dynamodb"), EventVersion: aws.String("1.1"),
		Dynamodb: &types.StreamRecord{
			SequenceNumber: aws.String(seq), StreamViewType: types.StreamViewTypeNewAndOldImages, SizeBytes: aws.Int64(10),
			ApproximateCreationDateTime: aws.Time(created),
			Keys: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
			},
			NewImage: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
				"version": &types.AttributeValueMemberN{Value: "1"},
			},
		},
	}
}

// TestRunFiltersBatchesRollsOverAndCheckpoints drives Run over a closed
// parent shard and its child: only matching records are delivered, in
// order, parent first, in batches of BatchSize; old records are dead-lettered;
// a second poller on the same checkpoint directory resumes after the last
// record.
func TestRunFiltersBatchesRollsOverAndCheckpoints(t *testing.T) {
	now := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	fresh := now.Add(-time.Minute)
	stale := now.Add(-7 * time.Hour)
	client := &fakeStreams{shards: []fakeShard{
		{id: "child", parent: "parent", records: []types.Record{
			streamRecord("200", "INSERT", "ALERT#c1", "ALERT", fresh),
			streamRecord("201", "INSERT", "INCIDENT#i1", "INCIDENT", fresh),
			streamRecord("202", "MODIFY", "ALERT#c2", "ALERT", fresh),
		}},
		{id: "parent", closed: true, records: []types.Record{
			streamRecord("100", "INSERT", "ALERT#a1", "ALERT", fresh),
			streamRecord("101", "REMOVE", "ALERT#a0", "ALERT", fresh),
			streamRecord("102", "MODIFY", "ALERT#a1", "ALERT", fresh),
			streamRecord("103", "INSERT", "ALERT#old", "ALERT", stale),
			streamRecord("104", "INSERT", "ALERT#a2", "ALERT", fresh),
		}},
	}}
	dir := t.TempDir()
	want := []string{"100", "102", "104", "200", "202"}
	var mu sync.Mutex
	var got []string
	var batches []int
	done := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, len(ev.Records))
		for _, r := range ev.Records {
			if r.EventSourceArn != testARN || r.Change.Keys["pk"].String() == "" || r.Change.NewImage["version"].Number() != "1" {
				t.Errorf("converted record = %+v", r)
			}
			got = append(got, r.Change.SequenceNumber)
		}
		if len(got) == len(want) {
			close(done)
		}
		return events.DynamoDBEventResponse{}, nil
	})
	c := resources.Correlator
	c.BatchSize = 1
	newPoller := func(h Handler) *Poller {
		p, err := New(Config{Consumer: c, StreamARN: testARN, Client: client, Handler: h,
			DeadLetterDir: filepath.Join(dir, "dead-letter"), CheckpointDir: filepath.Join(dir, "checkpoints"),
			PollInterval: time.Millisecond, RetryBackoff: -1, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := newPoller(h)
	runUntil(t, p, done, func() {
		// Delivered is not yet checkpointed: wait for two idle passes.
		for idle := p.IdlePasses(); p.IdlePasses() < idle+2; {
			time.Sleep(time.Millisecond)
		}
	})
	mu.Lock()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	for _, n := range batches {
		if n > c.BatchSize {
			t.Errorf("batch of %d exceeds batch size %d", n, c.BatchSize)
		}
	}
	mu.Unlock()
	dead := readDead(t, p.DeadLetterFile())
	if len(dead) != 1 || dead[0].Reason != ReasonRecordAge || dead[0].Record.Change.SequenceNumber != "103" {
		t.Errorf("dead letters = %+v, want record 103 aged out", dead)
	}

	// Restart: resumes after the checkpoint, so nothing is delivered again
	// until a new record arrives.
	client.mu.Lock()
	client.shards[0].records = append(client.shards[0].records, streamRecord("203", "INSERT", "ALERT#c3", "ALERT", fresh))
	client.iterRequests = nil
	client.mu.Unlock()
	again := make(chan string, 10)
	p2 := newPoller(HandlerFunc(func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range ev.Records {
			again <- r.Change.SequenceNumber
		}
		return events.DynamoDBEventResponse{}, nil
	}))
	ctx2, cancel2 := context.WithCancel(context.Background())
	stopped2 := make(chan struct{})
	go func() { _ = p2.Run(ctx2); close(stopped2) }()
	select {
	case seq := <-again:
		if seq != "203" {
			t.Errorf("after restart first record = %s, want 203", seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("new record not delivered after restart")
	}
	cancel2()
	<-stopped2
	client.mu.Lock()
	defer client.mu.Unlock()
	for _, r := range client.iterRequests {
		if r != "parent:AFTER_SEQUENCE_NUMBER:104" && r != "child:AFTER_SEQUENCE_NUMBER:202" {
			t.Errorf("iterator request after restart = %s, want AFTER_SEQUENCE_NUMBER of the checkpoint", r)
		}
	}
}

func TestNewValidates(t *testing.T) {
	h := HandlerFunc(func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	})
	good := Config{Consumer: resources.Responder, StreamARN: testARN, Client: &fakeStreams{}, Handler: h}
	bad := []func(*Config){
		func(c *Config) { c.Consumer.Name = "" },
		func(c *Config) { c.StreamARN = "" },
		func(c *Config) { c.Client = nil },
		func(c *Config) { c.Handler = nil },
		func(c *Config) { c.Consumer.BatchSize = 0 },
		func(c *Config) { c.Consumer.Filters = []string{`{"a":[{"numeric":[">",1]}]}`} },
	}
	if _, err := New(good); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for i, mutate := range bad {
		c := good
		mutate(&c)
		if _, err := New(c); err == nil {
			t.Errorf("case %d: New accepted an invalid config", i)
		}
	}
}

// TestRunGathersPagesIntoBatches: the fake shard yields two records a
// page; the poller reads on until it holds a batch or the shard has no
// more, as Lambda's batching window fills a batch from a backlog.
func TestRunGathersPagesIntoBatches(t *testing.T) {
	now := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	var recs []types.Record
	for i := range 7 {
		recs = append(recs, streamRecord(strconv.Itoa(100+i), "INSERT", fmt.Sprintf("ALERT#a%d", i), "ALERT", now))
	}
	tests := []struct {
		name   string
		size   int
		window int
		want   []int
	}{
		{name: "window fills batches across pages", size: 3, window: 1, want: []int{3, 3, 1}},
		{name: "a batch larger than the backlog takes all of it", size: 100, window: 1, want: []int{7}},
		{name: "no window: one page a batch", size: 3, window: 0, want: []int{2, 2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &fakeStreams{shards: []fakeShard{{id: "s", records: recs}}}
			var mu sync.Mutex
			var sizes []int
			total := 0
			done := make(chan struct{})
			h := HandlerFunc(func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
				mu.Lock()
				defer mu.Unlock()
				sizes = append(sizes, len(ev.Records))
				if total += len(ev.Records); total == len(recs) {
					close(done)
				}
				return events.DynamoDBEventResponse{}, nil
			})
			c := resources.Correlator
			c.BatchSize, c.MaxBatchingWindow = tt.size, tt.window
			p, err := New(Config{Consumer: c, StreamARN: testARN, Client: client, Handler: h, DeadLetterDir: t.TempDir(),
				PollInterval: time.Millisecond, RetryBackoff: -1, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			runUntil(t, p, done, nil)
			mu.Lock()
			defer mu.Unlock()
			if !reflect.DeepEqual(sizes, tt.want) {
				t.Errorf("batch sizes %v, want %v", sizes, tt.want)
			}
		})
	}
}

// runUntil runs p until done is closed (failing the test after 10 s), then
// runs settle (when given) and stops p.
func runUntil(t *testing.T, p *Poller, done <-chan struct{}, settle func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = p.Run(ctx); close(stopped) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cancel()
		<-stopped
		t.Fatal("records not delivered")
	}
	if settle != nil {
		settle()
	}
	cancel()
	<-stopped
}
