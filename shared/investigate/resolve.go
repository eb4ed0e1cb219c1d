package investigate

import (
	"context"
	"fmt"
	"slices"

	"github.com/muster-sec/muster/shared/correlate"
)

// LoadGroups reads the groups that exist among ids (correlate.Store's
// LoadGroups).
type LoadGroups func(ctx context.Context, ids []string) (map[string]*correlate.Group, error)

// maxHops bounds how many merges and moves Resolve follows from the group
// an alert joined to the one it lives in now.
const maxHops = 6

// Ref is an alert and the group it joined when it was indexed.
type Ref struct {
	AlertID string
	Group   string
}

// Resolve finds the group each alert lives in now: a key-day entry names
// the group the alert joined, which may since have merged into another
// (its mergedInto) or handed the alert on (its Moved map, after a split or
// an analyst's correction). It loads groups in rounds, one round per hop.
// Alerts whose group no longer exists are left out.
func Resolve(ctx context.Context, load LoadGroups, refs []Ref) (map[string]*correlate.Group, error) {
	groups := map[string]*correlate.Group{}
	where := make(map[string]string, len(refs)) // alert → group to look at
	for _, r := range refs {
		where[r.AlertID] = r.Group
	}
	out := map[string]*correlate.Group{}
	for hop := 0; hop < maxHops && len(where) > 0; hop++ {
		if err := loadMissing(ctx, load, groups, where); err != nil {
			return nil, err
		}
		for alertID, gid := range where {
			g := groups[gid]
			if g == nil {
				delete(where, alertID)
				continue
			}
			next := g.Moved[alertID]
			if next == "" {
				next = g.Incident.MergedInto
			}
			if next == "" || next == gid {
				out[alertID] = g
				delete(where, alertID)
				continue
			}
			where[alertID] = next
		}
	}
	return out, nil
}

func loadMissing(ctx context.Context, load LoadGroups, groups map[string]*correlate.Group, where map[string]string) error {
	var ids []string
	for _, gid := range where {
		if _, ok := groups[gid]; !ok {
			ids = append(ids, gid)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	got, err := load(ctx, ids)
	if err != nil {
		return fmt.Errorf("load groups: %w", err)
	}
	for _, id := range ids {
		if g, ok := got[id]; ok {
			groups[id] = g
		} else {
			groups[id] = nil
		}
	}
	return nil
}
