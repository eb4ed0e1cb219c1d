package dynamostore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/storetest"
)

func TestIncidentsConformance(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) storetest.Store {
		s, _ := newStore(t, dynamostore.Options{})
		return s
	})
}

func TestRulesConformance(t *testing.T) {
	storetest.RunRules(t, func(t *testing.T) storetest.Store {
		s, _ := newStore(t, dynamostore.Options{})
		return s
	})
}
