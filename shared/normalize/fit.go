package normalize

import (
	"encoding/json"
	"errors"

	"github.com/muster-sec/muster/shared/alert"
)

// FitStored keeps a within alert.MaxStoredBytes, the budget of one stored
// alert, and returns nil when it fits. An alert over the budget loses, in
// this order and only until it fits:
//
//  1. its raw payload (an audit copy: Raw is emptied, RawTruncated set);
//  2. for vendor formats only, its remediation steps;
//  3. for vendor formats only, its resources' tags;
//  4. for vendor formats only, entities, from the last one back.
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

// FitMerged is FitStored for the result of Merge, which a store is about
// to write back: its refusal says that the delivery merged into the stored
// alert is what is over the budget (the delivery alone fits), and that the
// stored alert is unchanged (the store must not write it).
func FitMerged(merged *alert.Alert) error {
	err := FitStored(merged)
	var fe *alert.FieldError
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	return alert.Invalid(fe.Field, "merged into the stored alert, %s; the stored alert is unchanged", fe.Reason)
}

// dropEntities removes entities from the end until a's document fits, by
// the encoded size of each entity (one encoding of the alert, one per
// entity).
func dropEntities(a *alert.Alert) {
	size, err := a.StoredSize()
	if err != nil || len(a.Entities) == 0 {
		return
	}
	n := len(a.Entities)
	for n > 0 && size > alert.MaxStoredBytes {
		n--
		b, err := json.Marshal(a.Entities[n])
		if err != nil {
			return
		}
		size -= len(b) + 1 // the entity and its comma
	}
	if n == 0 {
		a.Entities = nil
		return
	}
	a.Entities = a.Entities[:n]
}
