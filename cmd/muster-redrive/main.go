// Command muster-redrive brings parked correlator work back (see
// docs/operations.md): it re-touches the parked alerts so the correlator
// correlates them again, through the stream, as any other change. It is
// idempotent: running it twice, or on alerts already correlated, changes
// no incident.
//
//	muster-redrive -queue https://sqs.…/muster-correlator-stream   # AWS: the correlator's on-failure queue
//	muster-redrive -dead-letter-file .muster/dead-letter/correlator.jsonl   # local (make redrive)
//	muster-redrive -alerts ids.txt                                  # named alerts, one id a line ("-": stdin)
//
// The table is MUSTER_TABLE (default muster); the AWS configuration comes
// from the environment (AWS_ENDPOINT_URL for moto or LocalStack). Exit
// status 1 when something stayed parked.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/muster-sec/muster/functions/correlator/redrive"
	"github.com/muster-sec/muster/localstack/streampoller"
	"github.com/muster-sec/muster/shared/awsclient"
	"github.com/muster-sec/muster/shared/resources"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout))
}

func run(args []string, stdin io.Reader, stdout io.Writer) int {
	fs := flag.NewFlagSet("muster-redrive", flag.ContinueOnError)
	queue := fs.String("queue", "", "URL of the correlator's on-failure SQS queue (AWS)")
	file := fs.String("dead-letter-file", "", "the local runner's correlator dead-letter file")
	alerts := fs.String("alerts", "", "file of alert ids, one a line (- for stdin)")
	table := fs.String("table", envOr("MUSTER_TABLE", resources.DefaultTableName), "table name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if n := countSet(*queue, *file, *alerts); n != 1 {
		fmt.Fprintln(os.Stderr, "muster-redrive: give exactly one of -queue, -dead-letter-file, -alerts")
		return 2
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("component", "redrive")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "muster-redrive: %v\n", err)
		return 1
	}
	db := dynamodb.NewFromConfig(cfg)
	var left int
	switch {
	case *queue != "":
		rep, err := redrive.DrainQueue(ctx, redrive.QueueConfig{Queue: sqs.NewFromConfig(cfg), QueueURL: *queue,
			Streams: dynamodbstreams.NewFromConfig(cfg), DB: db, Table: *table, Logger: log})
		fmt.Fprintf(stdout, "parked batches %d: redriven %d, expired %d, failed %d; alerts touched %d, gone %d\n",
			rep.Messages, rep.Redriven, rep.Expired, rep.Failed, rep.Touched, rep.Missing)
		if err != nil {
			fmt.Fprintf(os.Stderr, "muster-redrive: %v\n", err)
			return 1
		}
		left = rep.Expired + rep.Failed
	case *file != "":
		rep, err := redriveFile(ctx, *file, db, *table, time.Now)
		fmt.Fprintf(stdout, "parked records %d: alerts touched %d, gone %d; records that name no alert %d (kept in %s)\n",
			rep.Records, rep.Touched, rep.Missing, rep.Unredrivable, unredrivableFile(*file))
		if err != nil {
			fmt.Fprintf(os.Stderr, "muster-redrive: %v (the claimed records stay for the next run)\n", err)
			return 1
		}
	default:
		ids, err := readIDs(*alerts, stdin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "muster-redrive: %v\n", err)
			return 1
		}
		t, err := redrive.Touch(ctx, db, *table, ids, time.Now())
		fmt.Fprintf(stdout, "alerts %d: touched %d, gone %d\n", len(ids), t.Touched, t.Missing)
		if err != nil {
			fmt.Fprintf(os.Stderr, "muster-redrive: %v\n", err)
			return 1
		}
	}
	if left > 0 {
		return 1
	}
	return 0
}

// fileReport counts what redriveFile did.
type fileReport struct {
	Records, Unredrivable int
	redrive.Touched
}

// redriveFile claims the local dead-letter file (and any an earlier run
// left claimed), touches the alerts its records name, and removes each
// claimed file once its alerts are touched. Records that name no alert
// (a conversion error) cannot be redriven: they move to
// <file>.unredrivable.
func redriveFile(ctx context.Context, path string, db redrive.Table, table string, now func() time.Time) (fileReport, error) {
	var rep fileReport
	files, err := streampoller.ClaimDeadLetters(path, now())
	if err != nil {
		return rep, err
	}
	for _, f := range files {
		entries, err := streampoller.ReadDeadLetters(f)
		if err != nil {
			return rep, err
		}
		var keep []streampoller.DeadLetter
		var recs []events.DynamoDBEventRecord
		for _, e := range entries {
			if len(redrive.AlertIDs([]events.DynamoDBEventRecord{e.Record})) == 0 {
				keep = append(keep, e)
				continue
			}
			recs = append(recs, e.Record)
		}
		t, err := redrive.Touch(ctx, db, table, redrive.AlertIDs(recs), now())
		rep.Records += len(entries)
		rep.Touched.Touched += t.Touched
		rep.Missing += t.Missing
		if err != nil {
			return rep, err
		}
		if err := streampoller.AppendDeadLetters(unredrivableFile(path), keep); err != nil {
			return rep, err
		}
		rep.Unredrivable += len(keep)
		if err := os.Remove(f); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func unredrivableFile(path string) string { return path + ".unredrivable" }

func readIDs(name string, stdin io.Reader) ([]string, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var ids []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("-alerts: no alert id given")
	}
	return ids, nil
}

func countSet(vs ...string) int {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	return n
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
