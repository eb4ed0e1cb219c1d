// Package guidance is the "take action" content of an incident, as
// Defender for Cloud shows it: how to mitigate the threat now and how to
// prevent the next attack.
//
// Mitigate merges the remediation steps the incident's alerts carry (from
// their sources), de-duplicated in order of first appearance, with the
// steps this package catalogues per detection type. Prevent returns
// recommendations from a catalogue keyed by detection type (GuardDuty
// finding types, Falco rules, Alertmanager alert names), by kill-chain
// stage (every countable stage has at least one) and by resource type.
// Each item says where it comes from, so an analyst can tell a source's
// own advice from Muster's catalogue.
//
// The package is pure data and functions: no I/O, no AWS SDK.
package guidance
