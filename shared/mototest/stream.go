package mototest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/localstack/eventfilter"
	"github.com/muster-sec/muster/localstack/streampoller"
)

// Stream reads a table's stream on the moto server, each record shaped as
// Lambda hands it to a function.
type Stream struct {
	t     testing.TB
	c     *dynamodbstreams.Client
	arn   string
	iters map[string]*string // by shard id, once read
}

// NewStream reads the stream arn with cfg (the server's Config).
func NewStream(t testing.TB, cfg aws.Config, arn string) *Stream {
	return &Stream{t: t, c: dynamodbstreams.NewFromConfig(cfg), arn: arn}
}

// Records returns the records written since the last call (the whole
// stream on the first call), shard by shard.
func (s *Stream) Records() []events.DynamoDBEventRecord {
	s.t.Helper()
	ctx := context.Background()
	if s.iters == nil {
		s.iters = map[string]*string{}
		desc, err := s.c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.arn)})
		if err != nil {
			s.t.Fatal(err)
		}
		for _, sh := range desc.StreamDescription.Shards {
			it, err := s.c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(s.arn),
				ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				s.t.Fatal(err)
			}
			s.iters[aws.ToString(sh.ShardId)] = it.ShardIterator
		}
	}
	var out []events.DynamoDBEventRecord
	for shard, iter := range s.iters {
		for iter != nil {
			res, err := s.c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				s.t.Fatal(err)
			}
			iter = res.NextShardIterator
			if len(res.Records) == 0 {
				break
			}
			for _, r := range res.Records {
				rec, err := streampoller.ConvertRecord(r, s.arn)
				if err != nil {
					s.t.Fatal(err)
				}
				out = append(out, rec)
			}
		}
		s.iters[shard] = iter
	}
	return out
}

// Select keeps the records that filters (an event source mapping's filter
// patterns) select, as Lambda does before it calls the function.
func Select(t testing.TB, filters []string, recs []events.DynamoDBEventRecord) []events.DynamoDBEventRecord {
	t.Helper()
	f, err := eventfilter.Compile(filters)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.DynamoDBEventRecord
	for _, r := range recs {
		js, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := f.MatchJSON(js)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}
