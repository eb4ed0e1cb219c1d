package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/normalize"
)

func init() { register("alertsize", RunAlertSize) }

// bulkyAlert is a valid alert of provider with 70 url entities of the
// longest allowed value (about 147 KB stored), numbered from from: alone
// it fits alert.MaxStoredBytes, merged with another delivery numbered
// differently it does not.
func bulkyAlert(t *testing.T, provider string, from int, last time.Time) *alert.Alert {
	t.Helper()
	a := &alert.Alert{
		Provider: provider, SourceID: "bulky-1", Type: "T", Severity: alert.Low,
		Resources: []alert.Resource{{ID: "r-bulky", Tags: map[string]string{"env": "prod"}}},
		FirstSeen: t0, LastSeen: last,
	}
	for i := from; i < from+70; i++ {
		v := fmt.Sprintf("https://e.example/%d/", i)
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityURL, Value: v + strings.Repeat("p", alert.MaxValueLen-len(v))})
	}
	a.SetRaw([]byte(`{"bulky":true}`))
	a.Finish("", t0.Add(time.Hour))
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := a.CheckStoredSize(); err != nil {
		t.Fatal(err)
	}
	return a
}

// alertStore is newStore's store as an AlertStore.
func alertStore(t *testing.T, newStore func(t *testing.T) Store) AlertStore {
	t.Helper()
	return storeAs[AlertStore](t, newStore, "AlertStore")
}

// RunAlertSize checks how a store treats a re-delivery whose merge with the
// stored alert would be over alert.MaxStoredBytes (normalize.MergeStored):
// a generic alert is refused with a field error and left as it was; a
// vendor alert is shrunk (raw copy, tags, then entities, those that make no
// correlation key first) and stored, and re-sending the same delivery
// again changes nothing and is not written.
func RunAlertSize(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	t.Run("generic merge over the budget is refused", func(t *testing.T) {
		s := alertStore(t, newStore)
		first := bulkyAlert(t, alert.ProviderGeneric, 0, t0)
		if _, err := s.PutAlert(ctx, first); err != nil {
			t.Fatal(err)
		}
		before, err := s.GetAlert(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.PutAlert(ctx, bulkyAlert(t, alert.ProviderGeneric, 1000, t0.Add(time.Hour)))
		var fe *alert.FieldError
		if !errors.Is(err, alert.ErrInvalid) || !errors.As(err, &fe) || fe.Field != "entities" ||
			!strings.Contains(fe.Reason, "merged into the stored alert") {
			t.Fatalf("PutAlert of the second delivery = %v, want an entities field error", err)
		}
		after, err := s.GetAlert(ctx, first.ID)
		if err != nil || !after.LastSeen.Equal(before.LastSeen) || len(after.Entities) != len(before.Entities) {
			t.Fatalf("stored alert changed: lastSeen %v→%v, entities %d→%d (%v)",
				before.LastSeen, after.LastSeen, len(before.Entities), len(after.Entities), err)
		}
	})
	t.Run("vendor merge over the budget is shrunk", func(t *testing.T) {
		s := alertStore(t, newStore)
		first := bulkyAlert(t, alert.ProviderFalco, 0, t0)
		if _, err := s.PutAlert(ctx, first); err != nil {
			t.Fatal(err)
		}
		last := t0.Add(time.Hour)
		if _, err := s.PutAlert(ctx, bulkyAlert(t, alert.ProviderFalco, 1000, last)); err != nil {
			t.Fatalf("PutAlert of the second delivery: %v", err)
		}
		got, err := s.GetAlert(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		n, err := got.StoredSize()
		if err != nil || n > alert.MaxStoredBytes || !got.LastSeen.Equal(last) {
			t.Fatalf("stored %d bytes (%v), lastSeen %v", n, err, got.LastSeen)
		}
		if len(got.Entities) <= 70 || len(got.Entities) >= 140 || len(got.Raw) != 0 || len(got.Resources[0].Tags) != 0 {
			t.Fatalf("%d entities (want between 70 and 140), raw %d bytes, tags %v", len(got.Entities), len(got.Raw), got.Resources[0].Tags)
		}
		// The same delivery again (an EventBridge retry): merged and shrunk
		// it is what is stored, so nothing is written.
		for i := range 2 {
			r, err := s.PutAlert(ctx, bulkyAlert(t, alert.ProviderFalco, 1000, last))
			if err != nil || r.Outcome != normalize.Duplicate || r.Changed {
				t.Fatalf("re-delivery %d: outcome %v changed %v (%v), want an unchanged duplicate", i+1, r.Outcome, r.Changed, err)
			}
		}
		again, err := s.GetAlert(ctx, first.ID)
		if err != nil || len(again.Entities) != len(got.Entities) {
			t.Fatalf("after re-deliveries: %d entities (%v), want %d", len(again.Entities), err, len(got.Entities))
		}
	})
}
