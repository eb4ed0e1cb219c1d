package dynamostore_test

import (
	"testing"

	"github.com/muster-sec/muster/shared/dynamostore"
	"github.com/muster-sec/muster/shared/storetest"
)

// TestConformance runs every storage area's conformance suite against the
// DynamoDB store on moto, each test on a fresh table.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, _ := newStore(t, dynamostore.Options{})
		return s
	})
}
