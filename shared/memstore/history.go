package memstore

import (
	"context"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/correlate"
	"github.com/muster-sec/muster/shared/resources"
)

// KeyHistory lists the key-day records of key whose day lies between from
// and to (both included), newest day first, at most limit of them.
func (s *Store) KeyHistory(_ context.Context, key alert.Key, from, to string, limit int) ([]*correlate.KeyDay, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*correlate.KeyDay
	s.each(resources.PrefixKey+string(key), resources.SKKeyDay, true, func(sk string, raw []byte) bool {
		if len(out) >= limit {
			return false
		}
		day := strings.TrimPrefix(sk, resources.SKKeyDay)
		if day < from || day > to {
			return true
		}
		var kd correlate.KeyDay
		s.get(resources.PrefixKey+string(key), sk, &kd)
		out = append(out, &kd)
		return true
	})
	return out, nil
}
