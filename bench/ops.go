package bench

import (
	"cmp"
	"slices"

	"github.com/muster-sec/muster/shared/awsmeter"
)

// OpCount is a number of calls of one operation.
type OpCount struct {
	Component string  `json:"component"`
	Service   string  `json:"service"`
	Operation string  `json:"operation"`
	Calls     int     `json:"calls"`
	Items     int     `json:"items"`
	Seconds   float64 `json:"seconds"`
}

// countOps tallies calls by component, service and operation.
func countOps(ops []awsmeter.Call) []OpCount {
	idx := map[[3]string]*OpCount{}
	for _, o := range ops {
		k := [3]string{o.Component, o.Service, o.Operation}
		c := idx[k]
		if c == nil {
			c = &OpCount{Component: o.Component, Service: o.Service, Operation: o.Operation}
			idx[k] = c
		}
		c.Calls++
		c.Seconds += o.Seconds
		c.Items += o.Read + o.Written + len(o.DetailTypes)
	}
	out := make([]OpCount, 0, len(idx))
	for _, c := range idx {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b OpCount) int {
		return cmp.Or(cmp.Compare(a.Component, b.Component), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Operation, b.Operation))
	})
	return out
}
