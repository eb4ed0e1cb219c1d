// Package memstore is an in-memory implementation of Muster's storage
// interfaces, for unit tests. It passes the same conformance suite
// (storetest) as the DynamoDB store, so tests that use it prove behaviour the
// real store also has.
//
// Items live in a sorted two-level map (partition key → sort key → value),
// mirroring the table layout, so each area's methods are written the way the
// DynamoDB ones are. Values are stored as JSON so no caller can mutate stored
// state through a returned pointer.
package memstore

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/muster-sec/muster/shared/incident"
)

// Store is the in-memory store. The zero value is not usable; call New.
type Store struct {
	mu    sync.Mutex
	items map[string]map[string][]byte
	now   func() time.Time
	// retention: alerts expire at alert.ExpiresAt(retention), as the
	// DynamoDB store's TTL makes them; zero keeps them for ever.
	retention time.Duration
}

// WithAlertRetention makes stored alerts expire as the DynamoDB store's
// TTL does (alert.ExpiresAt): once expired, an alert is gone for GetAlert
// and PutAlert stores it anew. It returns s.
func (s *Store) WithAlertRetention(d time.Duration) *Store {
	s.retention = d
	return s
}

// New returns an empty store. now may be nil (time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{items: map[string]map[string][]byte{}, now: now}
}

// get decodes the item at (pk, sk) into v and reports whether it existed.
// The caller must hold mu.
func (s *Store) get(pk, sk string, v any) bool {
	b, ok := s.items[pk][sk]
	if !ok {
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		panic("memstore: corrupt item " + pk + "/" + sk + ": " + err.Error())
	}
	return true
}

// put stores v at (pk, sk). The caller must hold mu.
func (s *Store) put(pk, sk string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("memstore: encode " + pk + "/" + sk + ": " + err.Error())
	}
	p, ok := s.items[pk]
	if !ok {
		p = map[string][]byte{}
		s.items[pk] = p
	}
	p[sk] = b
}

// del removes (pk, sk). The caller must hold mu.
func (s *Store) del(pk, sk string) {
	delete(s.items[pk], sk)
}

// putNew stores v at (pk, sk) unless an item is there already
// (incident.ErrConflict, wrapped with what names it). The caller must hold
// mu.
func (s *Store) putNew(pk, sk, what string, v any) error {
	if _, ok := s.items[pk][sk]; ok {
		return fmt.Errorf("%s exists: %w", what, incident.ErrConflict)
	}
	s.put(pk, sk, v)
	return nil
}

// delOne removes (pk, sk), or fails with notFound wrapped with what names
// it when there is no item. The caller must hold mu.
func (s *Store) delOne(pk, sk, what string, notFound error) error {
	if _, ok := s.items[pk][sk]; !ok {
		return fmt.Errorf("%s: %w", what, notFound)
	}
	s.del(pk, sk)
	return nil
}

// each calls fn for every item of partition pk whose sort key starts with
// prefix, in sort-key order (descending when desc). fn returns false to
// stop. The caller must hold mu.
func (s *Store) each(pk, prefix string, desc bool, fn func(sk string, raw []byte) bool) {
	p := s.items[pk]
	keys := make([]string, 0, len(p))
	for k := range p {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if desc {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	for _, k := range keys {
		if !fn(k, p[k]) {
			return
		}
	}
}

// partitions lists the partition keys starting with prefix, sorted. The
// caller must hold mu.
func (s *Store) partitions(prefix string) []string {
	var out []string
	for k := range s.items {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// getOne reads the item (pk, sk) into a T, or fails with notFound wrapped
// with what names it ("rule r-1"). The caller holds mu.
func getOne[T any](s *Store, pk, sk, what string, notFound error) (T, error) {
	var v T
	if !s.get(pk, sk, &v) {
		return v, fmt.Errorf("%s: %w", what, notFound)
	}
	return v, nil
}

// listAll reads the item with sort key sk of every partition whose key
// starts with prefix. The caller holds mu.
func listAll[T any](s *Store, prefix, sk string) []T {
	var out []T
	for _, pk := range s.partitions(prefix) {
		var v T
		if s.get(pk, sk, &v) {
			out = append(out, v)
		}
	}
	return out
}
