// Package correlate decides which alerts belong together: it turns a flood
// of alerts into a few incidents that each tell one attack. The rules —
// what links two alerts, noisy keys, mass activity, the confidence that
// makes a group an incident, merges, splits, lifecycle — are stated once,
// in an analyst's words, in docs/correlation.md; this package holds them
// and imports no AWS SDK.
//
// The rules live in link.go (what links an alert to the groups it joins),
// join.go (which group it joins), split.go (undoing the links of a key
// that turned noisy) and assess.go (the confidence); the bookkeeping in
// batch.go (the records a batch reads and the copies it changes) and
// changes.go (the units of records that must commit together).
//
// # State
//
// The engine reads two kinds of records through State:
//
//   - a key-day record per key and UTC day: the alerts first seen that day
//     with the key (first seen, group, name, resources) and the noisy flag;
//   - a group record per group: the visible Incident plus the members (each
//     with its Membership and its key hashes) and the alerts that left it.
//
// Apply processes a batch in (firstSeen, id) order and returns Changes
// split into Units: sets of records that must be written together, each
// record with its new Version (optimistic locking: a writer that lost a
// race reloads and applies again). A new group's id is derived from its
// earliest alert (GroupIDFor), so two workers starting the same group
// collide on a conditional create instead of creating two. Service runs
// the load → apply → commit → retry loop against a Store.
//
// One alert links through at most MaxKeysPerAlert keys (resources first),
// so that its records fit in one DynamoDB transaction.
package correlate
