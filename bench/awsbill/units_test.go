package awsbill

import (
	"math"
	"testing"
)

func TestWriteUnits(t *testing.T) {
	tests := []struct {
		name          string
		size          int
		transactional bool
		want          int
	}{
		{"empty item still costs one", 0, false, 1},
		{"1,024 bytes is one WRU", 1024, false, 1},
		{"1,025 bytes is two WRU", 1025, false, 2},
		{"transactional put of 900 bytes is two WRU", 900, true, 2},
		{"transactional put of 3 KB is six WRU", 3 * 1024, true, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WriteUnits(tt.size, tt.transactional); got != tt.want {
				t.Errorf("WriteUnits(%d, %v) = %d, want %d", tt.size, tt.transactional, got, tt.want)
			}
		})
	}
}

func TestReadUnits(t *testing.T) {
	tests := []struct {
		name                      string
		size                      int
		consistent, transactional bool
		want                      float64
	}{
		{"4 KB strongly consistent is one RRU", 4096, true, false, 1},
		{"4 KB + 1 strongly consistent is two RRU", 4097, true, false, 2},
		{"eventually consistent is half", 4097, false, false, 1},
		{"small eventually consistent read is half a unit", 100, false, false, 0.5},
		{"transactional read of 8 KB is four RRU", 8192, true, true, 4},
		{"a key not found costs as an empty item", 0, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReadUnits(tt.size, tt.consistent, tt.transactional); got != tt.want {
				t.Errorf("ReadUnits(%d) = %v, want %v", tt.size, got, tt.want)
			}
		})
	}
}

// TestItemWrite checks the table and index writes of one item write, for
// an index list of gsi1, gsi2, gsi3.
func TestItemWrite(t *testing.T) {
	none := []IndexKey{"", "", ""}
	tests := []struct {
		name                    string
		w                       ItemWrite
		table, writes, indexWRU int
	}{
		{"put with two index keys set costs three writes", ItemWrite{After: 500, Changed: true, IndexBefore: none, IndexAfter: []IndexKey{"t|1", "", "r|1"}}, 1, 2, 2},
		{"put of 1,025 bytes into two indexes", ItemWrite{After: 1025, Changed: true, IndexAfter: []IndexKey{"t|1", "", "r|1"}}, 2, 2, 4},
		{"update bills the larger of before and after", ItemWrite{Before: 3000, After: 900, Changed: true}, 3, 0, 0},
		{"update that sets an index key adds the item to it", ItemWrite{Before: 900, After: 950, Changed: true,
			IndexBefore: []IndexKey{"t|1", "", "r|1"}, IndexAfter: []IndexKey{"t|1", "i|1", "r|1"}}, 1, 3, 3},
		{"update that changes an index key deletes and puts", ItemWrite{Before: 900, After: 900, Changed: true,
			IndexBefore: []IndexKey{"t|1", "", ""}, IndexAfter: []IndexKey{"t|2", "", ""}}, 1, 2, 2},
		{"update that removes an index key deletes from it", ItemWrite{Before: 2000, After: 900, Changed: true,
			IndexBefore: []IndexKey{"t|1", "", ""}, IndexAfter: none}, 2, 1, 2},
		{"transactional write doubles the table, not the index", ItemWrite{After: 900, Transactional: true, Changed: true, IndexAfter: []IndexKey{"t|1"}}, 2, 1, 1},
		{"a write that changed nothing writes no index", ItemWrite{Before: 900, After: 900, IndexBefore: []IndexKey{"t|1"}, IndexAfter: []IndexKey{"t|1"}}, 1, 0, 0},
		{"item in no index", ItemWrite{After: 100, Changed: true, IndexBefore: none, IndexAfter: none}, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.TableUnits(); got != tt.table {
				t.Errorf("TableUnits = %d, want %d", got, tt.table)
			}
			if got := tt.w.IndexWrites(); got != tt.writes {
				t.Errorf("IndexWrites = %d, want %d", got, tt.writes)
			}
			if got := tt.w.IndexUnits(); got != tt.indexWRU {
				t.Errorf("IndexUnits = %d, want %d", got, tt.indexWRU)
			}
		})
	}
}

func TestEventsAndLambda(t *testing.T) {
	for _, tt := range []struct{ size, want int }{{1, 1}, {64 * 1024, 1}, {64*1024 + 1, 2}, {256 * 1024, 4}} {
		if got := Events(tt.size); got != tt.want {
			t.Errorf("Events(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}
	tests := []struct {
		name   string
		memory int
		ms     []float64
		want   float64
	}{
		{"rounded up to the millisecond", 1024, []float64{0.2, 1.5}, 0.003},
		{"memory in GB", 512, []float64{100}, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GBSeconds(tt.memory, tt.ms...); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("GBSeconds = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUsagePrice(t *testing.T) {
	u := Usage{TableWRU: 2e6, IndexWRU: 1e6, RRU: 4e6, LambdaGBs: 1000, LambdaRequests: 1e6, Events: 3e6, RESTRequests: 1e6, LogBytes: 2e9}
	b := u.Price()
	want := Bill{DynamoWrites: 2 * PriceWRU.USD, DynamoIndex: PriceWRU.USD, DynamoReads: 4 * PriceRRU.USD,
		Lambda: 1000*PriceLambdaGBs.USD + PriceLambdaRequest.USD, EventBridge: 3 * PriceEvent.USD, APIGateway: PriceRESTRequest.USD, Logs: 2 * PriceLogsGB.USD}
	if math.Abs(b.Total()-want.Total()) > 1e-9 || math.Abs(b.DynamoIndex-want.DynamoIndex) > 1e-12 {
		t.Errorf("Price = %+v, want %+v", b, want)
	}
	if got := u.Scale(2).TableWRU; got != 4e6 {
		t.Errorf("Scale(2).TableWRU = %v, want 4e6", got)
	}
	for _, p := range AllPrices {
		if p.USD <= 0 || p.Source == "" || p.Read == "" {
			t.Errorf("price %q lacks a value, source or date", p.Name)
		}
	}
}
