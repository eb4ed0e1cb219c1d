// Package e2e holds the end-to-end tests of the local stack: the thin
// slice (webhook → incident → event in the sink), the multi-source
// correlation scenario from events/samples/scenario/manifest.json, both
// through an in-process runner on a moto server the tests start, and the
// lifecycle of the built muster-local binary (it starts its own moto and
// leaves no process behind after SIGINT).
//
// The package has no non-test code.
package e2e
