package bench

import (
	"maps"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/bench/awsbill"
	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/resources"
)

// CostBill is what a cost run would be billed on AWS, computed from the
// metered calls, the stream's item images (the sizes DynamoDB bills
// updates by), the handlers' measured time and the bytes they logged.
type CostBill struct {
	Usage awsbill.Usage `json:"usage"`
	// PerMillion is the bill for a million alerts at this run's usage per
	// alert; TotalPerMillion its sum.
	PerMillion      awsbill.Bill `json:"perMillionAlerts"`
	TotalPerMillion float64      `json:"totalPerMillionAlerts"`
	// ItemWrites and IndexWrites count billed writes to the table and to
	// its indexes; Unmatched the writes with no stream record (failed or
	// unchanged), billed at the item's last known size.
	ItemWrites  int `json:"itemWrites"`
	IndexWrites int `json:"indexWrites"`
	Unmatched   int `json:"unmatchedWrites"`
	// WRUPerAlert and RRUPerAlert are the request units per alert (table
	// and indexes).
	WRUPerAlert float64 `json:"wruPerAlert"`
	RRUPerAlert float64 `json:"rruPerAlert"`
	// LogBytesPerAlert is what the handlers logged, per alert.
	LogBytesPerAlert float64        `json:"logBytesPerAlert"`
	Functions        []FunctionTime `json:"functions"`
}

// FunctionTime is one function's measured Lambda time in a cost run.
type FunctionTime struct {
	Function    string  `json:"function"`
	MemoryMB    int     `json:"memoryMb"`
	Invocations int     `json:"invocations"`
	Ms          float64 `json:"ms"`
	// AWSMs is the part of Ms spent waiting for AWS calls (on moto).
	AWSMs       float64 `json:"awsMs"`
	GBs         float64 `json:"gbSeconds"`
	MsPerAlert  float64 `json:"msPerAlert"`
	GBsPerAlert float64 `json:"gbSecondsPerAlert"`
}

// imageWrite is what one stream record says about an item write.
type imageWrite struct {
	before, after int
	changed       bool
	idxBefore     []awsbill.IndexKey
	idxAfter      []awsbill.IndexKey
}

// readImages turns a stream record into the key it wrote and what the
// write did to the item and its indexes.
func readImages(r stypes.Record) (string, imageWrite, error) {
	var w imageWrite
	if r.Dynamodb == nil {
		return "", w, nil
	}
	keys, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.Keys)
	if err != nil {
		return "", w, err
	}
	oldImg, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.OldImage)
	if err != nil {
		return "", w, err
	}
	newImg, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.NewImage)
	if err != nil {
		return "", w, err
	}
	w = imageWrite{before: awsmeter.ItemSize(oldImg), after: awsmeter.ItemSize(newImg), changed: !reflect.DeepEqual(oldImg, newImg),
		idxBefore: indexKeys(oldImg), idxAfter: indexKeys(newImg)}
	return itemKey(keys), w, nil
}

// indexKeys is an item's key in each of the table's indexes.
func indexKeys(item map[string]types.AttributeValue) []awsbill.IndexKey {
	var out []awsbill.IndexKey
	for _, ix := range resources.MusterTable.Indexes {
		pk, okp := item[ix.PartitionKey].(*types.AttributeValueMemberS)
		sk, oks := item[ix.SortKey].(*types.AttributeValueMemberS)
		if !okp || !oks {
			out = append(out, "")
			continue
		}
		out = append(out, awsbill.IndexKey(pk.Value+"|"+sk.Value))
	}
	return out
}

// itemKey names an item "<pk>|<sk>", as the meter does.
func itemKey(keys map[string]types.AttributeValue) string {
	pk, _ := keys[resources.AttrPK].(*types.AttributeValueMemberS)
	sk, _ := keys[resources.AttrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "|" + sk.Value
}

// biller prices the metered calls of one run, matching each metered item
// write to the next stream record of the same item.
type biller struct {
	images map[string][]imageWrite
	known  map[string]int // last known size of each item
	u      awsbill.Usage
	b      CostBill
}

func (bl *biller) call(c awsmeter.Call) {
	switch c.Service {
	case "EventBridge":
		for _, n := range c.EntryBytes {
			bl.u.Events += float64(awsbill.Events(n))
		}
	case "DynamoDB":
		tx := c.Operation == "TransactWriteItems"
		for i, k := range c.Keys {
			bl.write(k, c.WriteSizes[i], tx, c.Failed)
		}
		for _, k := range c.Checked {
			bl.u.TableWRU += float64(awsbill.WriteUnits(bl.known[k], true))
		}
		txGet := c.Operation == "TransactGetItems"
		for _, n := range c.ReadSizes {
			bl.u.RRU += awsbill.ReadUnits(n, c.Consistent, txGet)
		}
		bl.u.RRU += float64(c.Missing) * awsbill.ReadUnits(0, c.Consistent, txGet)
	}
}

func (bl *biller) write(key string, reqSize int, tx, failed bool) {
	var w awsbill.ItemWrite
	if q := bl.images[key]; !failed && len(q) > 0 {
		im := q[0]
		bl.images[key] = q[1:]
		w = awsbill.ItemWrite{Before: im.before, After: max(im.after, reqSize), Transactional: tx, Changed: im.changed,
			IndexBefore: im.idxBefore, IndexAfter: im.idxAfter}
	} else {
		size := max(bl.known[key], reqSize)
		w = awsbill.ItemWrite{Before: size, After: size, Transactional: tx}
		bl.b.Unmatched++
	}
	bl.known[key] = w.After
	bl.b.ItemWrites++
	bl.b.IndexWrites += w.IndexWrites()
	bl.u.TableWRU += float64(w.TableUnits())
	bl.u.IndexWRU += float64(w.IndexUnits())
}

// runTally is what a cost run measured beyond the metered calls.
type runTally struct {
	images       map[string][]imageWrite
	lambdaMs     map[string][]float64 // per function, each invocation
	restRequests int
	logBytes     int
}

// billCost prices a run's calls and measurements for res.
func billCost(res *CostResult, calls []awsmeter.Call, t runTally) {
	bl := &biller{images: t.images, known: map[string]int{}}
	for _, c := range calls {
		bl.call(c)
	}
	bl.u.RESTRequests = float64(t.restRequests)
	bl.u.LogBytes = float64(t.logBytes)
	awsMs := map[string]float64{}
	for _, c := range calls {
		awsMs[c.Component] += 1000 * c.Seconds
	}
	n := float64(max(1, res.Accepted))
	for _, fn := range slices.Sorted(maps.Keys(t.lambdaMs)) {
		ms := t.lambdaMs[fn]
		f := FunctionTime{Function: fn, MemoryMB: resources.FunctionMemoryMB[fn], Invocations: len(ms), AWSMs: awsMs[fn]}
		for _, d := range ms {
			f.Ms += d
		}
		f.GBs = awsbill.GBSeconds(f.MemoryMB, ms...)
		f.MsPerAlert, f.GBsPerAlert = f.Ms/n, f.GBs/n
		bl.u.LambdaGBs += f.GBs
		bl.u.LambdaRequests += float64(f.Invocations)
		bl.b.Functions = append(bl.b.Functions, f)
	}
	b := bl.b
	b.Usage = bl.u
	b.PerMillion = bl.u.Scale(1e6 / n).Price()
	b.TotalPerMillion = b.PerMillion.Total()
	b.WRUPerAlert = (bl.u.TableWRU + bl.u.IndexWRU) / n
	b.RRUPerAlert = bl.u.RRU / n
	b.LogBytesPerAlert = float64(t.logBytes) / n
	res.Bill = b
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}
