// Package snapshot keeps the local stack's state across restarts of an
// emulator that keeps nothing on disk (moto): a snapshot of the table's
// items, taken while the pipeline is idle, and a journal of the API
// requests that changed something since.
//
// Restoring writes the snapshot's items into the new, empty table with
// BatchWriteItem (the AWS API, so the table, its indexes and its stream
// behave as they do for any write) and then replays the journal through
// the API handlers. The table's stream is new after a restore; the runner
// starts its consumers after the restored items (they were processed
// before the snapshot was taken), so only the replayed requests flow
// through the correlator and the responder again.
//
// The snapshot is one file, written to a temporary name and renamed, so a
// crash leaves the previous snapshot whole. The journal is appended to
// before the API answers, so a request whose answer reached the client is
// in it.
package snapshot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// File is the snapshot's name inside the state directory.
const File = "snapshot.jsonl"

// Meta is the snapshot's first line.
type Meta struct {
	Table string `json:"table"`
	Items int    `json:"items"`
	// EventsSize is the size of events.jsonl when the snapshot was taken:
	// the events of the snapshot's state. A restore cuts the file back to
	// it, and the replayed requests publish the later ones again.
	EventsSize int64     `json:"eventsSize"`
	SavedAt    time.Time `json:"savedAt"`
}

// DB is the part of the DynamoDB API the snapshot uses.
type DB interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Save writes every item of table to dir/snapshot.jsonl, replacing the
// previous snapshot only once the new one is complete. (A Scan: the
// product never scans, but a local snapshot reads everything by
// definition.)
func Save(ctx context.Context, db DB, table, dir string, meta Meta) (Meta, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return meta, err
	}
	tmp, err := os.CreateTemp(dir, File+".tmp-*")
	if err != nil {
		return meta, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	var lines [][]byte
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return meta, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, it := range page.Items {
			b, err := attributevalue.MarshalMapJSON(it)
			if err != nil {
				return meta, fmt.Errorf("encode item: %w", err)
			}
			lines = append(lines, b)
		}
	}
	meta.Table, meta.Items = table, len(lines)
	head, _ := json.Marshal(meta)
	w := bufio.NewWriterSize(tmp, 1<<20)
	for _, b := range append([][]byte{head}, lines...) {
		if _, err := w.Write(append(b, '\n')); err != nil {
			return meta, err
		}
	}
	if err := w.Flush(); err != nil {
		return meta, err
	}
	if err := tmp.Sync(); err != nil {
		return meta, err
	}
	if err := tmp.Close(); err != nil {
		return meta, err
	}
	return meta, os.Rename(tmp.Name(), filepath.Join(dir, File))
}

// ErrNone: there is no snapshot.
var ErrNone = errors.New("no snapshot")

// Restore writes the snapshot in dir into table (which should be empty)
// and returns its Meta. The error wraps ErrNone when there is none.
func Restore(ctx context.Context, db DB, table, dir string) (Meta, error) {
	f, err := os.Open(filepath.Join(dir, File))
	if errors.Is(err, os.ErrNotExist) {
		return Meta{}, ErrNone
	}
	if err != nil {
		return Meta{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 8<<20) // an item is at most 400 KB
	var meta Meta
	if !sc.Scan() {
		return meta, fmt.Errorf("snapshot %s is empty", f.Name())
	}
	if err := json.Unmarshal(sc.Bytes(), &meta); err != nil {
		return meta, fmt.Errorf("snapshot %s: meta: %w", f.Name(), err)
	}
	var batch []types.WriteRequest
	n := 0
	for sc.Scan() {
		item, err := attributevalue.UnmarshalMapJSON(sc.Bytes())
		if err != nil {
			return meta, fmt.Errorf("snapshot %s: item %d: %w", f.Name(), n+1, err)
		}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		n++
		if len(batch) == 25 {
			if err := write(ctx, db, table, batch); err != nil {
				return meta, err
			}
			batch = batch[:0]
		}
	}
	if err := sc.Err(); err != nil {
		return meta, err
	}
	if err := write(ctx, db, table, batch); err != nil {
		return meta, err
	}
	if n != meta.Items {
		return meta, fmt.Errorf("snapshot %s holds %d items, its header says %d", f.Name(), n, meta.Items)
	}
	return meta, nil
}

// write sends one BatchWriteItem (at most 25 requests) and retries what
// comes back unprocessed.
func write(ctx context.Context, db DB, table string, reqs []types.WriteRequest) error {
	for attempt := 0; len(reqs) > 0; attempt++ {
		if attempt == 10 {
			return fmt.Errorf("restore %s: %d items still unprocessed", table, len(reqs))
		}
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			return fmt.Errorf("restore %s: %w", table, err)
		}
		reqs = out.UnprocessedItems[table]
	}
	return nil
}
