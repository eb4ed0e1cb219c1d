package awsbill

import "math"

// Billing granularities.
const (
	writeUnitBytes = 1024
	readUnitBytes  = 4 * 1024
	eventBytes     = 64 * 1024
)

// units is the number of started blocks of size in n bytes, at least one.
func units(n, size int) int {
	return max(1, (n+size-1)/size)
}

// WriteUnits is the WRU of writing an item of size bytes.
func WriteUnits(size int, transactional bool) int {
	u := units(size, writeUnitBytes)
	if transactional {
		u *= 2
	}
	return u
}

// ReadUnits is the RRU of reading size bytes in one item (or one Query
// page).
func ReadUnits(size int, consistent, transactional bool) float64 {
	u := float64(units(size, readUnitBytes))
	switch {
	case transactional:
		return 2 * u
	case consistent:
		return u
	}
	return u / 2
}

// Events is the number of EventBridge events a PutEvents entry of size
// bytes is billed as.
func Events(size int) int {
	return units(size, eventBytes)
}

// IndexKey is an item's key in one index: its partition and sort key
// values joined, or "" when the item lacks either (it is not in the
// index).
type IndexKey string

// ItemWrite is one item written to the table.
type ItemWrite struct {
	// Before and After are the item's sizes in bytes (0: no item).
	Before, After int
	Transactional bool
	// Changed is false for a write that left the item as it was (no index
	// is written then).
	Changed bool
	// IndexBefore and IndexAfter hold the item's key in each index before
	// and after the write, in the same order.
	IndexBefore, IndexAfter []IndexKey
}

// TableUnits is the WRU of the write on the table.
func (w ItemWrite) TableUnits() int {
	return WriteUnits(max(w.Before, w.After), w.Transactional)
}

// IndexWrites is the number of index writes the write makes.
func (w ItemWrite) IndexWrites() int {
	n, _ := w.index()
	return n
}

// IndexUnits is the WRU of the write on the indexes.
func (w ItemWrite) IndexUnits() int {
	_, u := w.index()
	return u
}

func (w ItemWrite) index() (writes, wru int) {
	if !w.Changed {
		return 0, 0
	}
	for i := range max(len(w.IndexBefore), len(w.IndexAfter)) {
		before, after := at(w.IndexBefore, i), at(w.IndexAfter, i)
		switch {
		case before == "" && after == "":
		case before == "":
			writes, wru = writes+1, wru+WriteUnits(w.After, false)
		case after == "":
			writes, wru = writes+1, wru+WriteUnits(w.Before, false)
		case before != after:
			writes, wru = writes+2, wru+WriteUnits(w.Before, false)+WriteUnits(w.After, false)
		default:
			writes, wru = writes+1, wru+WriteUnits(w.After, false)
		}
	}
	return writes, wru
}

func at(keys []IndexKey, i int) IndexKey {
	if i < len(keys) {
		return keys[i]
	}
	return ""
}

// GBSeconds is the Lambda duration billed for invocations lasting ms
// milliseconds each at memoryMB.
func GBSeconds(memoryMB int, ms ...float64) float64 {
	billed := 0.0
	for _, d := range ms {
		billed += max(1, math.Ceil(d))
	}
	return billed / 1000 * float64(memoryMB) / 1024
}
