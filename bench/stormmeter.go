package bench

import (
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/muster-sec/muster/bench/awsbill"
	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/resources"
)

// Index names of the storm's partition table: the base table, then the
// table's global secondary indexes (resources.MusterTable).
const tableIndex = "table"

// image is what the storm meter keeps of an item: its table partition key,
// its size and its key (partition and sort) in each index, "" when it is
// not in that index.
type image struct {
	pk    string
	size  int
	index []string
}

// imageOf reads an encoded item's image.
func imageOf(item map[string]types.AttributeValue) image {
	im := image{pk: dynamostore.StringAttr(item, resources.AttrPK), size: dynamostore.ItemSize(item)}
	for _, ix := range resources.MusterTable.Indexes {
		pk, sk := dynamostore.StringAttr(item, ix.PartitionKey), dynamostore.StringAttr(item, ix.SortKey)
		key := ""
		if pk != "" && sk != "" {
			key = pk + "\x00" + sk
		}
		im.index = append(im.index, key)
	}
	return im
}

// partitionOf is the partition key part of an index key.
func partitionOf(key string) string {
	pk, _, _ := strings.Cut(key, "\x00")
	return pk
}

type partKey struct{ index, key string }

// partLoad is the write load on one partition key, per second of alert time.
type partLoad struct {
	perSec map[int64]float64
	writes int
	wru    float64
}

// meter adds up the write request units DynamoDB would bill, per table or
// index partition key and per second, with the billing rules of awsbill:
// a table write costs one WRU per started KB of the larger of the item's
// sizes before and after (twice in a transaction), each index the item is
// in before or after is written at the projected size (ALL: the item's),
// an index key change is a delete and a put.
type meter struct {
	load               map[partKey]*partLoad
	tableWRU, indexWRU float64
	rru                float64
	// perSec is the WRU of the table and its indexes together, per second.
	perSec map[int64]float64
}

func newMeter() *meter { return &meter{load: map[partKey]*partLoad{}, perSec: map[int64]float64{}} }

// peak is the most WRU the table and its indexes took in one second.
func (m *meter) peak() float64 {
	p := 0.0
	for _, v := range m.perSec {
		p = max(p, v)
	}
	return p
}

// add records wru on one partition at time at.
func (m *meter) add(index, key string, at time.Time, wru int) {
	k := partKey{index, key}
	l := m.load[k]
	if l == nil {
		l = &partLoad{perSec: map[int64]float64{}}
		m.load[k] = l
	}
	l.perSec[at.Unix()] += float64(wru)
	m.perSec[at.Unix()] += float64(wru)
	l.writes++
	l.wru += float64(wru)
	if index == tableIndex {
		m.tableWRU += float64(wru)
	} else {
		m.indexWRU += float64(wru)
	}
}

// write meters one item write from before (zero image: no item) to after.
func (m *meter) write(at time.Time, before, after image, transactional bool) {
	pk := after.pk
	if pk == "" {
		pk = before.pk
	}
	m.add(tableIndex, pk, at, awsbill.WriteUnits(max(before.size, after.size), transactional))
	for i, ix := range resources.MusterTable.Indexes {
		b, a := at0(before.index, i), at0(after.index, i)
		switch {
		case b == "" && a == "":
		case b == "":
			m.add(ix.Name, partitionOf(a), at, awsbill.WriteUnits(after.size, false))
		case a == "":
			m.add(ix.Name, partitionOf(b), at, awsbill.WriteUnits(before.size, false))
		case a != b:
			m.add(ix.Name, partitionOf(b), at, awsbill.WriteUnits(before.size, false))
			m.add(ix.Name, partitionOf(a), at, awsbill.WriteUnits(after.size, false))
		default:
			m.add(ix.Name, partitionOf(a), at, awsbill.WriteUnits(after.size, false))
		}
	}
}

// check meters a ConditionCheck in a transaction: billed as a
// transactional write of the item it checks, no index written.
func (m *meter) check(at time.Time, im image) {
	m.add(tableIndex, im.pk, at, awsbill.WriteUnits(im.size, true))
}

// read meters a strongly consistent read of an item of size bytes (0: not
// found, billed as an empty item).
func (m *meter) read(size int) { m.rru += awsbill.ReadUnits(size, true, false) }

func at0(keys []string, i int) string {
	if i < len(keys) {
		return keys[i]
	}
	return ""
}

// PartitionLoad is the write load one partition key took during the storm.
type PartitionLoad struct {
	// Index is "table" or the index's name (gsi1 time, gsi2 incident, gsi3
	// resource); Key the partition key value.
	Index string `json:"index"`
	Key   string `json:"key"`
	// PeakWRU is the WRU written in the busiest second, at PeakSecond
	// seconds after the storm's first write.
	PeakWRU    float64 `json:"peakWruPerSecond"`
	PeakSecond int64   `json:"peakSecond"`
	// MeanWRU is the WRU per second over the whole storm.
	MeanWRU float64 `json:"meanWruPerSecond"`
	Writes  int     `json:"writes"`
	WRU     float64 `json:"wru"`
}

// loads returns the load of every partition key of index, hottest (by
// peak WRU/s) first.
func (m *meter) loads(index string, first, last int64) []PartitionLoad {
	var out []PartitionLoad
	for k, l := range m.load {
		if k.index == index {
			out = append(out, loadOf(k, l.perSec, l.writes, l.wru, first, last))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PeakWRU != out[j].PeakWRU {
			return out[i].PeakWRU > out[j].PeakWRU
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// loadOf summarises one partition's load over the seconds first to last.
func loadOf(k partKey, perSec map[int64]float64, writes int, wru float64, first, last int64) PartitionLoad {
	p := PartitionLoad{Index: k.index, Key: k.key, Writes: writes, WRU: wru, MeanWRU: wru / float64(max(1, last-first+1))}
	for s, v := range perSec {
		if v > p.PeakWRU || (v == p.PeakWRU && s-first < p.PeakSecond) {
			p.PeakWRU, p.PeakSecond = v, s-first
		}
	}
	return p
}

// hottest returns, for each index, its hottest partition (by peak WRU/s)
// with its load, rekeyed by rekey (nil: as written; the storm report uses
// it to show the time index as it would be without write-sharding), in
// the order table, gsi1, gsi2, gsi3.
func (m *meter) hottest(first, last int64, rekey func(index, key string) string) []PartitionLoad {
	merged := map[partKey]map[int64]float64{}
	writes, wru := map[partKey]int{}, map[partKey]float64{}
	for k, l := range m.load {
		if rekey != nil {
			k.key = rekey(k.index, k.key)
		}
		if merged[k] == nil {
			merged[k] = map[int64]float64{}
		}
		for s, v := range l.perSec {
			merged[k][s] += v
		}
		writes[k] += l.writes
		wru[k] += l.wru
	}
	best := map[string]PartitionLoad{}
	for k, perSec := range merged {
		p := loadOf(k, perSec, writes[k], wru[k], first, last)
		if cur, ok := best[k.index]; !ok || p.PeakWRU > cur.PeakWRU || (p.PeakWRU == cur.PeakWRU && p.Key < cur.Key) {
			best[k.index] = p
		}
	}
	out := make([]PartitionLoad, 0, len(best))
	for _, p := range best {
		out = append(out, p)
	}
	order := map[string]int{tableIndex: 0}
	for i, ix := range resources.MusterTable.Indexes {
		order[ix.Name] = i + 1
	}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Index] < order[out[j].Index] })
	return out
}
