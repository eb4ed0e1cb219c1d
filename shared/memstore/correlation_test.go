package memstore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/storetest"
)

func TestCorrelationConformance(t *testing.T) {
	storetest.RunCorrelation(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
}
