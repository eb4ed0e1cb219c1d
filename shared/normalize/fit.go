package normalize

import (
	"encoding/json"
	"errors"
	"sort"

	"github.com/muster-sec/muster/shared/alert"
)

// FitStored keeps a within alert.MaxStoredBytes, the budget of one stored
// alert, and returns nil when it fits. An alert over the budget loses, in
// this order and only until it fits:
//
//  1. its raw payload (an audit copy: Raw is emptied, RawTruncated set);
//  2. for vendor formats only, its remediation steps;
//  3. for vendor formats only, its resources' tags;
//  4. for vendor formats only, entities: first those that never link
//     alerts (url, process, container, pod), then those that make
//     correlation keys, largest first within each (see dropEntities).
//
// Resources, tactics and the detection itself are never dropped. An alert
// still over the budget is refused with an error wrapping alert.ErrInvalid
// whose FieldError names the largest part of the alert. The generic format
// is Muster's own, so only its raw copy is dropped and the sender is told
// the rest (as for its field limits); vendor alerts are shrunk instead,
// because their sender cannot be asked to change them. Usual alerts cost
// no encoding here (see alert.FitsStored).
func FitStored(a *alert.Alert) error {
	if a.FitsStored() {
		return nil
	}
	if len(a.Raw) > 0 {
		a.Raw, a.RawTruncated = nil, true
		if a.FitsStored() {
			return nil
		}
	}
	if a.Provider == alert.ProviderGeneric {
		return a.CheckStoredSize()
	}
	if len(a.RemediationSteps) > 0 {
		a.RemediationSteps = nil
		if a.FitsStored() {
			return nil
		}
	}
	tags := false
	for i := range a.Resources {
		if len(a.Resources[i].Tags) > 0 {
			a.Resources[i].Tags, tags = nil, true
		}
	}
	if tags && a.FitsStored() {
		return nil
	}
	dropEntities(a)
	return a.CheckStoredSize()
}

// fitMerged is FitStored for the result of Merge, which a store is about
// to write back: its refusal says that the delivery merged into the stored
// alert is what is over the budget (the delivery alone fits), and that the
// stored alert is unchanged (the store must not write it).
func fitMerged(merged *alert.Alert) error {
	err := FitStored(merged)
	var fe *alert.FieldError
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	return alert.Invalid(fe.Field, "merged into the stored alert, %s; the stored alert is unchanged", fe.Reason)
}

// MergeStored is what a store does with a re-delivery of the alert it
// holds as stored: Merge, then fitMerged, then the decision to write. It
// returns the alert to write and true, or stored and false when the
// result, once shrunk to the budget, equals stored apart from the raw
// payload. So re-sending a delivery whose merge had to be shrunk (Merge
// alone sees the dropped parts as new again) writes nothing. An error
// wraps alert.ErrInvalid (see fitMerged): the merge does not fit and
// nothing may be written.
func MergeStored(stored, incoming alert.Alert) (alert.Alert, bool, error) {
	merged, changed := Merge(stored, incoming)
	if !changed {
		return stored, false, nil
	}
	if err := fitMerged(&merged); err != nil {
		return stored, false, err
	}
	if sameIgnoringRaw(stored, merged) {
		return stored, false, nil
	}
	return merged, true, nil
}

// dropEntities removes entities until a's document fits, by the encoded
// size of each entity (one encoding of the alert, one per entity). Entities
// that never link alerts (url, process, container, pod) go first, then the
// types that make correlation keys (ip, host, account, accesskey,
// filehash, domain), so the keys an alert is linked by are the last thing
// lost. Within each group the largest go first, on equal size the later
// one. The entities kept keep their order.
func dropEntities(a *alert.Alert) {
	size, err := a.StoredSize()
	if err != nil || len(a.Entities) == 0 {
		return
	}
	sizes := make([]int, len(a.Entities))
	order := make([]int, len(a.Entities))
	for i, e := range a.Entities {
		b, err := json.Marshal(e)
		if err != nil {
			return
		}
		sizes[i], order[i] = len(b)+1, i // the entity and its comma
	}
	sort.SliceStable(order, func(x, y int) bool {
		i, j := order[x], order[y]
		if ki, kj := keyEntity(a.Entities[i].Type), keyEntity(a.Entities[j].Type); ki != kj {
			return kj
		}
		if sizes[i] != sizes[j] {
			return sizes[i] > sizes[j]
		}
		return i > j
	})
	drop := make([]bool, len(a.Entities))
	for _, i := range order {
		if size <= alert.MaxStoredBytes {
			break
		}
		drop[i] = true
		size -= sizes[i]
	}
	kept := make([]alert.Entity, 0, len(a.Entities))
	for i, e := range a.Entities {
		if !drop[i] {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	a.Entities = kept
}

// keyEntity reports whether entities of type t make correlation keys
// (alert.Alert.Keys: a public ip, host, account, access key, file hash,
// domain). A private ip makes none but is small and kept with them.
func keyEntity(t alert.EntityType) bool {
	switch t {
	case alert.EntityURL, alert.EntityProcess, alert.EntityContainer, alert.EntityPod:
		return false
	}
	return true
}
