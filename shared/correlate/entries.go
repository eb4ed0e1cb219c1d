package correlate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Indexed is one alert indexed under a key-day: its id and its Entry.
type Indexed struct {
	AlertID string
	Entry
}

// Entries is a key-day's index: one Indexed per alert, sorted by alert id.
// It is a sorted slice rather than a map because most key-days hold a
// handful of alerts and the engine copies a record before changing it: a
// slice copies in one allocation, a map of one entry already costs a
// whole map group. It encodes as a JSON object keyed by alert id (the
// stored form).
type Entries []Indexed

// NewEntries returns the index holding m's entries.
func NewEntries(m map[string]Entry) Entries {
	if len(m) == 0 {
		return nil
	}
	out := make(Entries, 0, len(m))
	for id, e := range m {
		out = append(out, Indexed{AlertID: id, Entry: e})
	}
	slices.SortFunc(out, cmpIndexed)
	return out
}

func cmpIndexed(a, b Indexed) int { return strings.Compare(a.AlertID, b.AlertID) }

func (es Entries) search(alertID string) (int, bool) {
	return slices.BinarySearchFunc(es, alertID, func(x Indexed, id string) int { return strings.Compare(x.AlertID, id) })
}

// Get returns the entry of alertID.
func (es Entries) Get(alertID string) (Entry, bool) {
	if i, ok := es.search(alertID); ok {
		return es[i].Entry, true
	}
	return Entry{}, false
}

// Put sets the entry of alertID, keeping the order.
func (es *Entries) Put(alertID string, e Entry) {
	i, ok := es.search(alertID)
	if ok {
		(*es)[i].Entry = e
		return
	}
	*es = slices.Insert(*es, i, Indexed{AlertID: alertID, Entry: e})
}

// Map returns the entries as a map by alert id.
func (es Entries) Map() map[string]Entry {
	out := make(map[string]Entry, len(es))
	for _, x := range es {
		out[x.AlertID] = x.Entry
	}
	return out
}

// MarshalJSON encodes the entries as an object keyed by alert id, in id
// order (the form encoding/json gives a map).
func (es Entries) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, x := range es {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(x.AlertID)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(x.Entry)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", x.AlertID, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON decodes an object keyed by alert id (or null).
func (es *Entries) UnmarshalJSON(b []byte) error {
	var m map[string]Entry
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*es = NewEntries(m)
	return nil
}
