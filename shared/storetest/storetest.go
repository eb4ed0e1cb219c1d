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
// tests in its own file and registers them in suites. Outage, a
// correlation store that is down for a while, serves the fault tests.
package storetest

import "testing"

// Store is everything a conformance-tested store implements. Areas embed
// their interface here as they are added.
type Store interface{}

// subtest is a named conformance test, or one area's tests.
type subtest struct {
	name string
	run  func(t *testing.T, newStore func(t *testing.T) Store)
}

// suites is filled by each area's file in an init function.
var suites []subtest

func register(name string, run func(t *testing.T, newStore func(t *testing.T) Store)) {
	suites = append(suites, subtest{name: name, run: run})
}

// Run runs every registered area's tests against stores from newStore.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	if len(suites) == 0 {
		t.Fatal("no storage areas registered")
	}
	runSubtests(t, newStore, suites)
}

// runSubtests runs each of tests as a subtest against stores from newStore.
func runSubtests(t *testing.T, newStore func(t *testing.T) Store, tests []subtest) {
	t.Helper()
	for _, s := range tests {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

// storeAs returns newStore's store as an S, skipping the test when the
// store does not implement that area (what names it in the message).
func storeAs[S any](t *testing.T, newStore func(t *testing.T) Store, what string) S {
	t.Helper()
	s, ok := newStore(t).(S)
	if !ok {
		t.Skipf("store does not implement %s", what)
	}
	return s
}
