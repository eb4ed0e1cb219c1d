package storetest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/muster-sec/muster/shared/correlate"
)

// ErrOutage is what an Outage's failing calls return.
var ErrOutage = errors.New("injected outage: service unavailable")

// Outage is a correlation store that is down for a while, for fault
// tests: its reads and writes fail with ErrOutage while Calls (counting
// every one) has not passed N, then pass through to Store. Raise N to
// prolong the outage, set it to 0 to end it.
type Outage struct {
	correlate.Store
	N, Calls atomic.Int64
}

func (o *Outage) down() bool { return o.Calls.Add(1) <= o.N.Load() }

// LoadKeyDays fails while the store is down.
func (o *Outage) LoadKeyDays(ctx context.Context, ids []correlate.KeyDayID) (map[correlate.KeyDayID]*correlate.KeyDay, error) {
	if o.down() {
		return nil, ErrOutage
	}
	return o.Store.LoadKeyDays(ctx, ids)
}

// LoadGroups fails while the store is down.
func (o *Outage) LoadGroups(ctx context.Context, ids []string) (map[string]*correlate.Group, error) {
	if o.down() {
		return nil, ErrOutage
	}
	return o.Store.LoadGroups(ctx, ids)
}

// Commit fails while the store is down.
func (o *Outage) Commit(ctx context.Context, u *correlate.Unit) error {
	if o.down() {
		return ErrOutage
	}
	return o.Store.Commit(ctx, u)
}

// Assign fails while the store is down.
func (o *Outage) Assign(ctx context.Context, as []correlate.Assignment) error {
	if o.down() {
		return ErrOutage
	}
	return o.Store.Assign(ctx, as)
}
