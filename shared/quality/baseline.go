package quality

import (
	"sort"
	"time"

	"github.com/muster-sec/muster/shared/alert"
)

// ByResource groups alerts as Alertmanager's group_by on the resource
// does: all alerts with the same primary resource form one group,
// regardless of time; groups of two or more alerts are incidents.
type ByResource struct{}

// Group implements Grouper.
func (ByResource) Group(alerts []*alert.Alert) [][]string {
	groups := map[string][]string{}
	var order []string
	for _, a := range alerts {
		r := a.PrimaryResource()
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], a.ID)
	}
	var out [][]string
	for _, r := range order {
		if g := groups[r]; len(g) >= 2 {
			out = append(out, g)
		}
	}
	return out
}

// DefaultEntityWindow is Sentinel's default grouping look-back.
const DefaultEntityWindow = 5 * time.Hour

// ByEntity groups alerts as Sentinel's alert grouping on "any entity"
// does: alerts sharing any resource id or entity value (of any type,
// private IPs included) with firstSeen at most Window apart are linked;
// connected components of two or more alerts are incidents.
type ByEntity struct {
	// Window is the look-back; DefaultEntityWindow when zero.
	Window time.Duration
}

// Group implements Grouper.
func (g ByEntity) Group(alerts []*alert.Alert) [][]string {
	w := g.Window
	if w <= 0 {
		w = DefaultEntityWindow
	}
	uf := newUnionFind(len(alerts))
	byValue := map[string][]int{}
	for i, a := range alerts {
		for _, v := range entityValues(a) {
			byValue[v] = append(byValue[v], i)
		}
	}
	for _, idx := range byValue {
		// Within one value, sorted by time, linking each alert to the next
		// one within w gives the same components as linking every pair
		// within w: any pair within w is joined through the alerts between.
		sort.Slice(idx, func(x, y int) bool { return alerts[idx[x]].FirstSeen.Before(alerts[idx[y]].FirstSeen) })
		for k := 1; k < len(idx); k++ {
			if alerts[idx[k]].FirstSeen.Sub(alerts[idx[k-1]].FirstSeen) <= w {
				uf.union(idx[k], idx[k-1])
			}
		}
	}
	return uf.components(alerts)
}

func entityValues(a *alert.Alert) []string {
	out := make([]string, 0, len(a.Resources)+len(a.Entities))
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, r := range a.Resources {
		add("res:" + r.ID)
	}
	for _, e := range a.Entities {
		add(string(e.Type) + ":" + e.Value)
	}
	return out
}

type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return &unionFind{p}
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if ra > rb {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
}

// components returns the components of two or more alerts, in order of
// their first alert.
func (u *unionFind) components(alerts []*alert.Alert) [][]string {
	byRoot := map[int][]string{}
	var roots []int
	for i, a := range alerts {
		r := u.find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], a.ID)
	}
	var out [][]string
	for _, r := range roots {
		if g := byRoot[r]; len(g) >= 2 {
			out = append(out, g)
		}
	}
	return out
}
