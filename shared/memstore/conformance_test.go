package memstore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/storetest"
)

// TestConformance runs every storage area's conformance suite against the
// in-memory store.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
}
