package memstore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/storetest"
)

func TestIncidentsConformance(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
}

func TestRulesConformance(t *testing.T) {
	storetest.RunRules(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
}
