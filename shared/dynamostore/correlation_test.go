package dynamostore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/storetest"
)

func TestCorrelationConformance(t *testing.T) {
	storetest.RunCorrelation(t, func(t *testing.T) storetest.Store {
		s, _ := newStore(t, dynamostore.Options{})
		return s
	})
}
