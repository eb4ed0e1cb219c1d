package memstore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/memstore"
	"github.com/muster-sec/muster/shared/storetest"
)

func TestAlertsConformance(t *testing.T) {
	storetest.RunAlerts(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
}
