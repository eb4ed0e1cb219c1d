package bench

import (
	"maps"
	"reflect"
	"slices"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/muster-sec/muster/bench/awsbill"
	"github.com/muster-sec/muster/shared/awsmeter"
	"github.com/muster-sec/muster/shared/dynamostore"
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

// FunctionTime is one function's Lambda time in a cost run.
type FunctionTime struct {
	Function    string `json:"function"`
	MemoryMB    int    `json:"memoryMb"`
	Invocations int    `json:"invocations"`
	// MotoMs is the handlers' wall time in this process against moto;
	// AWSMs the part of it waiting on AWS calls; Rounds the number of
	// waits (calls that overlap in time count once).
	MotoMs float64 `json:"motoMs"`
	AWSMs  float64 `json:"awsMs"`
	Rounds int     `json:"awsRounds"`
	// Ms is the estimate on AWS: the time outside AWS calls plus each
	// wait as measured but at most AssumedCallMs. GBs is billed from Ms.
	Ms          float64 `json:"ms"`
	GBs         float64 `json:"gbSeconds"`
	MotoGBs     float64 `json:"motoGbSeconds"`
	MsPerAlert  float64 `json:"msPerAlert"`
	GBsPerAlert float64 `json:"gbSecondsPerAlert"`
}

// AssumedCallMs is the longest an AWS call is assumed to take on AWS when
// estimating Lambda time: DynamoDB answers in single-digit milliseconds,
// so 10 ms is the top of that (a transaction or a PutEvents call may take
// more; moto's transactions take hundreds of milliseconds, which is why
// the measured time is not billed as such).
const AssumedCallMs = 10

// invocation is one handler call.
type invocation struct {
	function   string
	start, end time.Time
}

// awsWait is the time an invocation waited on its function's AWS calls
// (the union of their intervals), the number of separate waits, and that
// time with each wait capped at AssumedCallMs (what it would be on AWS).
func awsWait(inv invocation, calls []awsmeter.Call) (ms float64, rounds int, onAWS float64) {
	type span struct{ from, to time.Time }
	var spans []span
	for _, c := range calls {
		if c.Component == inv.function && !c.Start.Before(inv.start) && !c.Start.After(inv.end) {
			spans = append(spans, span{c.Start, c.Start.Add(time.Duration(c.Seconds * float64(time.Second)))})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	var end time.Time
	round := 0.0
	for _, sp := range spans {
		if sp.from.After(end) {
			onAWS += min(round, AssumedCallMs)
			rounds, round, end = rounds+1, 0, sp.from
		}
		if sp.to.After(end) {
			d := float64(sp.to.Sub(end).Microseconds()) / 1000
			ms, round, end = ms+d, round+d, sp.to
		}
	}
	return ms, rounds, onAWS + min(round, AssumedCallMs)
}

// lambdaTimes totals each function's invocations: measured on moto and
// estimated on AWS.
func lambdaTimes(invs []invocation, calls []awsmeter.Call, alerts float64) []FunctionTime {
	byFn := map[string]*FunctionTime{}
	est := map[string][]float64{}
	moto := map[string][]float64{}
	for _, inv := range invs {
		f := byFn[inv.function]
		if f == nil {
			f = &FunctionTime{Function: inv.function, MemoryMB: resources.FunctionMemoryMB[inv.function]}
			byFn[inv.function] = f
		}
		wall := float64(inv.end.Sub(inv.start).Microseconds()) / 1000
		wait, rounds, onAWS := awsWait(inv, calls)
		ms := max(0, wall-wait) + onAWS
		f.Invocations++
		f.MotoMs, f.AWSMs, f.Rounds, f.Ms = f.MotoMs+wall, f.AWSMs+wait, f.Rounds+rounds, f.Ms+ms
		est[inv.function] = append(est[inv.function], ms)
		moto[inv.function] = append(moto[inv.function], wall)
	}
	var out []FunctionTime
	for _, fn := range slices.Sorted(maps.Keys(byFn)) {
		f := byFn[fn]
		f.GBs = awsbill.GBSeconds(f.MemoryMB, est[fn]...)
		f.MotoGBs = awsbill.GBSeconds(f.MemoryMB, moto[fn]...)
		f.MsPerAlert, f.GBsPerAlert = f.Ms/alerts, f.GBs/alerts
		out = append(out, *f)
	}
	return out
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
	w = imageWrite{before: dynamostore.ItemSize(oldImg), after: dynamostore.ItemSize(newImg), changed: !reflect.DeepEqual(oldImg, newImg),
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
	invocations  []invocation
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
	n := float64(max(1, res.Accepted))
	bl.b.Functions = lambdaTimes(t.invocations, calls, n)
	for _, f := range bl.b.Functions {
		bl.u.LambdaGBs += f.GBs
		bl.u.LambdaRequests += float64(f.Invocations)
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
