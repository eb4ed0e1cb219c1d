package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	correlator "github.com/muster-sec/muster/functions/correlator/handler"
	ingest "github.com/muster-sec/muster/functions/ingest/handler"
	responder "github.com/muster-sec/muster/functions/responder/handler"
	"github.com/muster-sec/muster/localstack/apigwlocal"
	"github.com/muster-sec/muster/localstack/bootstrap"
	"github.com/muster-sec/muster/localstack/eventfilter"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/incidentevent"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/resources"
)

// CostResult is the AWS work Muster did for one set of alerts.
type CostResult struct {
	Name     string `json:"name"`
	Alerts   int    `json:"alerts"`
	Accepted int    `json:"accepted"`
	// Incidents is the number of Incident Created entries published;
	// IncidentsCommitted the incident items that became incidents on the
	// stream (the two agree when the outbox works).
	Incidents          int `json:"incidents"`
	IncidentsCommitted int `json:"incidentsCommitted"`
	// Batches delivered to each stream consumer, and records they failed.
	CorrelatorBatches int `json:"correlatorBatches"`
	ResponderBatches  int `json:"responderBatches"`
	FailedRecords     int `json:"failedRecords"`

	Ops []OpCount `json:"ops"`

	DynamoCalls  int     `json:"dynamoCalls"`
	ItemsRead    int     `json:"itemsRead"`
	ItemsWritten int     `json:"itemsWritten"`
	RCU          float64 `json:"rcu"`
	WCU          float64 `json:"wcu"`
	// Floor: one write per alert plus one per incident (group) item changed
	// per correlator batch.
	FloorWrites int `json:"floorWrites"`

	ReadsPerAlert       float64        `json:"readsPerAlert"`
	WritesPerAlert      float64        `json:"writesPerAlert"`
	FloorPerAlert       float64        `json:"floorWritesPerAlert"`
	CallsPerAlert       float64        `json:"dynamoCallsPerAlert"`
	RCUPerAlert         float64        `json:"rcuPerAlert"`
	WCUPerAlert         float64        `json:"wcuPerAlert"`
	EventEntries        int            `json:"eventEntries"`
	EntriesPerIncident  float64        `json:"entriesPerIncident"`
	WritesByComponent   map[string]int `json:"writesByComponent"`
	ReadsByComponent    map[string]int `json:"readsByComponent"`
	Seconds             float64        `json:"seconds"`
	IngestRequestErrors int            `json:"ingestRequestErrors,omitempty"`
	// Requests is the number of webhook requests (API Gateway REST
	// requests and ingest invocations).
	Requests         int      `json:"requests"`
	Bill             CostBill `json:"bill"`
	FirstIngestError string   `json:"firstIngestError,omitempty"`
}

// CostOptions configure RunCost.
type CostOptions struct {
	// Endpoint of a running moto server.
	Endpoint string
	// PerRequest is the number of alerts per webhook request (default 50).
	PerRequest int
	// Env adds handler environment variables.
	Env map[string]string
}

const benchToken = "bench-token-not-a-secret"

// RunCost pushes alerts through the real handlers in-process against moto:
// ingest (POST /webhooks/generic) → table → stream → correlator (batches of
// resources.Correlator.BatchSize, its filter) → stream → responder (its
// batch size and filters) → EventBridge bus. Alerts are ingested one
// correlator batch at a time and the stream is drained after each, as a
// steady trickle would be. Every AWS call of the handlers is metered.
func RunCost(ctx context.Context, name string, alerts []*alert.Alert, opts CostOptions) (CostResult, error) {
	start := time.Now()
	res := CostResult{Name: name, Alerts: len(alerts), WritesByComponent: map[string]int{}, ReadsByComponent: map[string]int{}}
	if opts.PerRequest <= 0 {
		opts.PerRequest = 50
	}
	base := awsclient.ForEndpoint(opts.Endpoint)
	boot, err := bootstrap.Run(ctx, base, bootstrap.Names{
		Table: mototest.UniqueName("bench"), Bus: mototest.UniqueName("bench"), Queue: mototest.UniqueName("bench"),
	})
	if err != nil {
		return res, fmt.Errorf("bootstrap: %w", err)
	}
	env := map[string]string{
		"MUSTER_TABLE": boot.Table, "MUSTER_BUS": boot.Bus, "MUSTER_DEV_TOKEN": benchToken,
		"AWS_ENDPOINT_URL": opts.Endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
		"AWS_SECRET_ACCESS_KEY": "test", "MUSTER_API_URL": "http://127.0.0.1:8080",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	// The handlers log JSON at Info through slog.Default, as their mains
	// set it up; count the bytes.
	logs := &countingWriter{}
	prevLog := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(logs, nil)))
	defer slog.SetDefault(prevLog)
	meter := &awsmeter.Meter{}
	p, ing, err := newPipeline(ctx, base, boot.StreamARN, getenv, meter)
	if err != nil {
		return res, err
	}
	p.res = &res

	batch := resources.Correlator.BatchSize
	for i := 0; i < len(alerts); i += batch {
		chunk := alerts[i:min(i+batch, len(alerts))]
		for j := 0; j < len(chunk); j += opts.PerRequest {
			p.post(ctx, ing, chunk[j:min(j+opts.PerRequest, len(chunk))])
		}
		if err := p.drain(ctx); err != nil {
			return res, err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	tally(&res, meter.Calls())
	billCost(&res, meter.Calls(), runTally{images: p.st.images, invocations: p.invocations, restRequests: res.Requests, logBytes: int(logs.n.Load())})
	if res.Accepted == 0 {
		return res, fmt.Errorf("ingest accepted no alert: %s", res.FirstIngestError)
	}
	return res, nil
}

func tally(res *CostResult, ops []awsmeter.Call) {
	res.Ops = countOps(ops)
	for _, o := range ops {
		if o.Service == "EventBridge" {
			res.EventEntries += len(o.DetailTypes)
			for _, dt := range o.DetailTypes {
				if dt == incidentevent.DetailTypeCreated {
					res.Incidents++
				}
			}
			continue
		}
		if o.Service != "DynamoDB" {
			continue
		}
		res.DynamoCalls++
		res.ItemsRead += o.Read
		res.ItemsWritten += o.Written
		res.ReadsByComponent[o.Component] += o.Read
		res.WritesByComponent[o.Component] += o.Written
		res.RCU += o.RCU
		res.WCU += o.WCU
	}
	if n := float64(res.Accepted); n > 0 {
		res.ReadsPerAlert = float64(res.ItemsRead) / n
		res.WritesPerAlert = float64(res.ItemsWritten) / n
		res.CallsPerAlert = float64(res.DynamoCalls) / n
		res.RCUPerAlert = res.RCU / n
		res.WCUPerAlert = res.WCU / n
	}
	res.FloorWrites += res.Accepted
	if n := float64(res.Accepted); n > 0 {
		res.FloorPerAlert = float64(res.FloorWrites) / n
	}
	if res.Incidents > 0 {
		res.EntriesPerIncident = float64(res.EventEntries) / float64(res.Incidents)
	}
}

// newPipeline builds the three handlers on clients metered by meter, the
// stream reader and the consumers' filters.
func newPipeline(ctx context.Context, base aws.Config, streamARN string, getenv func(string) string, meter *awsmeter.Meter) (*pipeline, *ingest.Handler, error) {
	ing, err := ingest.FromEnv(ctx, meter.Config(base, "ingest"), getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest handler: %w", err)
	}
	cor, err := correlator.FromEnv(ctx, meter.Config(base, "correlator"), getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("correlator handler: %w", err)
	}
	rsp, err := responder.FromEnv(ctx, meter.Config(base, "responder"), getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("responder handler: %w", err)
	}
	st, err := newStream(ctx, dynamodbstreams.NewFromConfig(base), streamARN)
	if err != nil {
		return nil, nil, err
	}
	corF, err := eventfilter.Compile(resources.Correlator.Filters)
	if err != nil {
		return nil, nil, err
	}
	rspF, err := eventfilter.Compile(resources.Responder.Filters)
	if err != nil {
		return nil, nil, err
	}
	return &pipeline{st: st, cor: cor, rsp: rsp, corF: corF, rspF: rspF, meter: meter}, ing, nil
}

// post sends one webhook request to ingest, timed as one invocation.
func (p *pipeline) post(ctx context.Context, ing *ingest.Handler, alerts []*alert.Alert) {
	t := time.Now()
	n, err := postGeneric(ctx, ing, alerts)
	p.invocations = append(p.invocations, invocation{"ingest", t, time.Now()})
	p.res.Requests++
	if err != nil {
		p.res.IngestRequestErrors++
		if p.res.FirstIngestError == "" {
			p.res.FirstIngestError = err.Error()
		}
	}
	p.res.Accepted += n
}

// webhookRequest builds the API Gateway event of POST /webhooks/<provider>.
func webhookRequest(provider string, body []byte) events.APIGatewayProxyRequest {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/"+provider, strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+benchToken)
	return apigwlocal.ToRequest(r, body, fmt.Sprintf("bench-%d", time.Now().UnixNano()), time.Now())
}

type webhookResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Suppressed int `json:"suppressed"`
	Rejected   int `json:"rejected"`
}

func postGeneric(ctx context.Context, h *ingest.Handler, alerts []*alert.Alert) (int, error) {
	resp, err := h.ServeAPI(ctx, webhookRequest(alert.ProviderGeneric, Generic(alerts)))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("webhook status %d: %.200s", resp.StatusCode, resp.Body)
	}
	var wr webhookResult
	if err := json.Unmarshal([]byte(resp.Body), &wr); err != nil {
		return 0, fmt.Errorf("decode webhook result: %w", err)
	}
	return wr.Accepted, nil
}

// stream reads the table's stream from its start, one shard at a time (moto
// has one shard).
type stream struct {
	c    *dynamodbstreams.Client
	arn  string
	iter map[string]*string
	// images holds, per item ("<pk>|<sk>"), what each record of it says
	// the write did, in stream order.
	images map[string][]imageWrite
}

func newStream(ctx context.Context, c *dynamodbstreams.Client, arn string) (*stream, error) {
	s := &stream{c: c, arn: arn, iter: map[string]*string{}, images: map[string][]imageWrite{}}
	d, err := c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe stream: %w", err)
	}
	for _, sh := range d.StreamDescription.Shards {
		it, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, fmt.Errorf("shard iterator: %w", err)
		}
		s.iter[aws.ToString(sh.ShardId)] = it.ShardIterator
	}
	return s, nil
}

// next returns every record written since the last call.
func (s *stream) next(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	var out []events.DynamoDBEventRecord
	for id, it := range s.iter {
		for it != nil {
			r, err := s.c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
			if err != nil {
				return nil, fmt.Errorf("get records: %w", err)
			}
			for _, rec := range r.Records {
				key, im, err := readImages(rec)
				if err != nil {
					return nil, fmt.Errorf("stream record images: %w", err)
				}
				s.images[key] = append(s.images[key], im)
				ev, err := streampoller.ConvertRecord(rec, s.arn)
				if err != nil {
					return nil, err
				}
				out = append(out, ev)
			}
			s.iter[id] = r.NextShardIterator
			if len(r.Records) == 0 {
				break
			}
			it = r.NextShardIterator
		}
	}
	return out, nil
}

type pipeline struct {
	st         *stream
	cor        *correlator.Handler
	rsp        *responder.Handler
	corF, rspF *eventfilter.Filter
	meter      *awsmeter.Meter
	res        *CostResult
	corQ, rspQ []events.DynamoDBEventRecord
	// invocations are the handler calls, timed.
	invocations []invocation
}

func (p *pipeline) route(recs []events.DynamoDBEventRecord) error {
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if ok, _ := p.corF.MatchJSON(b); ok {
			p.corQ = append(p.corQ, r)
		}
		if ok, _ := p.rspF.MatchJSON(b); ok {
			p.rspQ = append(p.rspQ, r)
		}
	}
	return nil
}

// drain delivers stream records to both consumers until the stream is
// quiet.
func (p *pipeline) drain(ctx context.Context) error {
	for round := 0; ; round++ {
		recs, err := p.st.next(ctx)
		if err != nil {
			return err
		}
		if err := p.route(recs); err != nil {
			return err
		}
		if len(p.corQ) == 0 && len(p.rspQ) == 0 {
			return nil
		}
		if round > 1000 {
			return fmt.Errorf("stream did not quiesce")
		}
		for len(p.corQ) > 0 {
			n := min(resources.Correlator.BatchSize, len(p.corQ))
			b := p.corQ[:n]
			p.corQ = p.corQ[n:]
			mark := p.meter.Len()
			if err := p.invoke(ctx, "correlator", p.cor.Handle, b); err != nil {
				return fmt.Errorf("correlator: %w", err)
			}
			p.res.CorrelatorBatches++
			// Floor: one write per incident (group) item this batch changed.
			changed := map[string]bool{}
			for _, o := range p.meter.Since(mark) {
				for _, k := range o.Keys {
					if strings.HasPrefix(k, resources.PrefixIncident) && strings.HasSuffix(k, "|"+resources.SKIncident) {
						changed[k] = true
					}
				}
			}
			p.res.FloorWrites += len(changed)
		}
		for len(p.rspQ) > 0 {
			n := min(resources.Responder.BatchSize, len(p.rspQ))
			b := p.rspQ[:n]
			p.rspQ = p.rspQ[n:]
			p.res.IncidentsCommitted += countCreated(b)
			if err := p.invoke(ctx, "responder", p.rsp.Handle, b); err != nil {
				return fmt.Errorf("responder: %w", err)
			}
			p.res.ResponderBatches++
		}
	}
}

// invoke calls a stream handler like an event source mapping: on partial
// failure it retries from the lowest failed record, up to three times.
// Each attempt is one invocation of function, timed.
func (p *pipeline) invoke(ctx context.Context, function string, h func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), recs []events.DynamoDBEventRecord) error {
	for attempt := 0; attempt < 4 && len(recs) > 0; attempt++ {
		t := time.Now()
		resp, err := h(ctx, events.DynamoDBEvent{Records: recs})
		p.invocations = append(p.invocations, invocation{function, t, time.Now()})
		if err != nil {
			p.res.FailedRecords += len(recs)
			continue
		}
		if len(resp.BatchItemFailures) == 0 {
			return nil
		}
		p.res.FailedRecords += len(resp.BatchItemFailures)
		first := len(recs)
		for _, f := range resp.BatchItemFailures {
			for i, r := range recs {
				if r.Change.SequenceNumber == f.ItemIdentifier && i < first {
					first = i
				}
			}
		}
		recs = recs[first:]
	}
	return nil
}

// countCreated counts incident items that became incidents in recs: an
// INSERT with isIncident true or a MODIFY from false to true.
func countCreated(recs []events.DynamoDBEventRecord) int {
	n := 0
	for _, r := range recs {
		if r.Change.Keys["sk"].String() != resources.SKIncident {
			continue
		}
		now := isIncident(r.Change.NewImage)
		was := isIncident(r.Change.OldImage)
		if now && !was {
			n++
		}
	}
	return n
}

func isIncident(img map[string]events.DynamoDBAttributeValue) bool {
	v, ok := img["isIncident"]
	return ok && v.DataType() == events.DataTypeBoolean && v.Boolean()
}
