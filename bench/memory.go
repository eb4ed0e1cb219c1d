package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/muster-sec/muster/localstack/runner"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/mototest"
	"github.com/muster-sec/muster/shared/scenario"
)

// MemoryResult is the emulator's memory over a burst through the local
// stack: moto's resident set size (VmRSS from /proc), sampled every second.
type MemoryResult struct {
	Alerts       int     `json:"alerts"`
	Seconds      float64 `json:"seconds"`
	StartMB      float64 `json:"startMB"`
	PeakMB       float64 `json:"peakMB"`
	EndMB        float64 `json:"endMB"`
	Correlated   bool    `json:"correlated"`
	TableItems   int     `json:"tableItems"`
	TableMB      float64 `json:"tableMB"`
	StreamRecs   int     `json:"streamRecords"`
	StreamMB     float64 `json:"streamMB"`
	MotoRestarts int     `json:"motoRestarts"`
	PostError    string  `json:"postError,omitempty"`
	// Samples: seconds since the start and RSS in MB.
	Samples [][2]float64 `json:"samples"`
}

// MemoryOptions size the burst.
type MemoryOptions struct {
	Alerts  int // about this many alerts, a day's mixed scenario (default 1000)
	Workers int // concurrent clients (default 4)
	Batch   int // alerts per request (default 25)
	Timeout time.Duration
	Logger  *slog.Logger
	// MotoEnv is added to moto's environment.
	MotoEnv []string
	// MotoMaxMB is the runner's MotoMaxMB (0: its default, -1: never
	// restart moto).
	MotoMaxMB int
}

// MeasureMemory starts the local stack with its own moto (on a free
// loopback port), posts a generated day of alerts, waits until the
// pipeline is idle, and reports moto's memory and what the table and its
// stream hold.
func MeasureMemory(ctx context.Context, o MemoryOptions) (MemoryResult, error) {
	orDefault(&o.Alerts, 1000)
	orDefault(&o.Workers, 4)
	orDefault(&o.Batch, 25)
	orDefault(&o.Timeout, 30*time.Minute)
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	var res MemoryResult
	dir, err := os.MkdirTemp("", "muster-memory-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	port, err := mototest.FreePort()
	if err != nil {
		return res, err
	}
	r, err := runner.Start(ctx, runner.Options{MotoPort: port, Addr: "127.0.0.1:0", Dir: dir, Token: benchToken, Logger: o.Logger,
		MotoEnv: o.MotoEnv, MotoMaxMB: o.MotoMaxMB})
	if err != nil {
		return res, fmt.Errorf("start local runner: %w", err)
	}
	defer r.Close()
	alerts := dayOfAlerts(o.Alerts)
	res.Alerts = len(alerts)

	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if mb, err := runner.RSSMB(r.MotoPid()); err == nil {
				mu.Lock()
				res.Samples = append(res.Samples, [2]float64{time.Since(start).Seconds(), mb})
				res.PeakMB = max(res.PeakMB, mb)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	res.StartMB, _ = runner.RSSMB(r.MotoPid())
	if err := postAll(ctx, r.URL(), alerts, o.Batch, o.Workers); err != nil {
		res.PostError = err.Error() // measured all the same
	}
	res.Correlated = waitCorrelated(ctx, r, o.Timeout)
	res.Seconds = time.Since(start).Seconds()
	close(stop)
	wg.Wait()
	res.EndMB, _ = runner.RSSMB(r.MotoPid())
	res.MotoRestarts = r.MotoRestarts()
	res.TableItems, res.TableMB, res.StreamRecs, res.StreamMB = contents(ctx, r)
	return res, nil
}

// dayOfAlerts is a generated scenario of about n alerts over one day.
func dayOfAlerts(n int) []*alert.Alert {
	scale := float64(n) / 1700 // the default scenario's size
	sc := scenario.Generate(scenario.Config{Seed: 1, Noise: scenario.NoiseLegacy, Span: 24 * time.Hour, MaxDuration: 20 * time.Hour,
		Campaigns: max(1, int(40*scale)), Repeats: -1, Overlaps: -1, NoiseAlerts: max(1, int(1500*scale)),
		NoiseResources: max(5, int(400*scale))})
	return sc.Alerts
}

func postAll(ctx context.Context, base string, alerts []*alert.Alert, batch, workers int) error {
	// Long: the runner holds API writes while it restarts moto.
	client := &http.Client{Timeout: 10 * time.Minute}
	jobs := make(chan []*alert.Alert)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if _, err := post(ctx, client, base, j); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for len(alerts) > 0 {
		k := min(batch, len(alerts))
		jobs <- alerts[:k]
		alerts = alerts[k:]
	}
	close(jobs)
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// waitCorrelated waits until the pipeline has handled everything.
func waitCorrelated(ctx context.Context, r *runner.Runner, timeout time.Duration) bool {
	return r.WaitIdle(ctx, timeout)
}

// contents counts the table's items and the stream's records and their
// JSON size.
func contents(ctx context.Context, r *runner.Runner) (items int, itemMB float64, recs int, recMB float64) {
	cfg := awsclient.ForEndpoint(r.Endpoint())
	p := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(cfg), &dynamodb.ScanInput{TableName: aws.String(r.Resources().Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, it := range page.Items {
			b, _ := json.Marshal(it)
			items++
			itemMB += float64(len(b)) / (1 << 20)
		}
	}
	st := dynamodbstreams.NewFromConfig(cfg)
	desc, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.Resources().StreamARN)})
	if err != nil {
		return
	}
	for _, sh := range desc.StreamDescription.Shards {
		it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.Resources().StreamARN),
			ShardId: sh.ShardId, ShardIteratorType: "TRIM_HORIZON"})
		if err != nil {
			continue
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil || len(out.Records) == 0 {
				break
			}
			for _, rec := range out.Records {
				recs++
				recMB += float64(aws.ToInt64(rec.Dynamodb.SizeBytes)) / (1 << 20)
			}
			iter = out.NextShardIterator
		}
	}
	return
}
