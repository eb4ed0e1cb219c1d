// Package storetest is the conformance suite every Muster store
// implementation must pass: the DynamoDB store (on moto) and the in-memory
// store run the same tests, so behaviour the unit tests rely on is behaviour
// production has.
//
// An implementation's test calls Run with a factory that returns a fresh,
// empty store for each test:
//
//	storetest.Run(t, func(t *testing.T) storetest.Store { return memstore.New(nil) })
//
// Each storage area (alerts, correlation state, incidents, rules…) adds its
// tests in its own file and registers them in suites.
package storetest

import "testing"

// Store is everything a conformance-tested store implements. Areas embed
// their interface here as they are added.
type Store interface{}

// suite is one area's conformance tests.
type suite struct {
	name string
	run  func(t *testing.T, newStore func(t *testing.T) Store)
}

// suites is filled by each area's file in an init function.
var suites []suite

func register(name string, run func(t *testing.T, newStore func(t *testing.T) Store)) {
	suites = append(suites, suite{name: name, run: run})
}

// Run runs every registered area's tests against stores from newStore.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	if len(suites) == 0 {
		t.Fatal("no storage areas registered")
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}
