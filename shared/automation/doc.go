// Package automation holds automation rules as data and decides what they
// do to an incident change, with no storage or AWS in sight.
//
// A Rule has triggers (the kinds of incident change it runs on),
// conditions over the incident (every given condition must hold; a list
// condition holds when any of its values matches) and ordered actions
// (assign, setSeverity, addTags, removeTags, setStatus, runPlaybook, stop).
// Evaluate runs the rules that apply to one change, in rule order, on an
// in-memory copy of the incident, and returns the Outcome: the incident as
// the rules leave it, the timeline entries to record (each by
// "automation:<rule name>"), the response requests to store and the ids of
// the rules that matched. Shadow rules only record what they would have
// done; Disabled and expired rules do nothing; a stop action ends the run.
//
// The caller (the responder) stores an Outcome at most once per incident
// version, conditioned on that version, so a replayed change applies
// nothing twice and a person's later edit is never overwritten; changes
// made by automation ("automation:" in UpdatedBy) never trigger rules.
// docs/automation.md states the rules for users.
package automation
