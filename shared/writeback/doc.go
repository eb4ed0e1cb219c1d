// Package writeback decides what an incident's status change asks of the
// source findings behind its alerts, so that a finding's own console
// agrees with Muster (docs/write-back.md).
//
// It holds the rules only; the writeback function (functions/writeback)
// makes the calls. The rules:
//
//	incident change                 Security Hub Workflow.Status   GuardDuty
//	→ Resolved                      RESOLVED                       —
//	→ Dismissed                     SUPPRESSED                     archive (when enabled)
//	Resolved/Dismissed → Active,    NEW                            unarchive (from Dismissed,
//	  InProgress (reopened)                                          when archiving is enabled)
//
// Any other change (Active ↔ InProgress, or no status change at all) asks
// nothing. Only alerts of Security Hub and GuardDuty are written back:
// FindingOf says how each is named to its source (Security Hub: Id and
// ProductArn; GuardDuty: region, detector id and finding id, from the
// finding ARN).
//
// The echo of a write-back (Security Hub sends the updated finding back
// through the findings rule) changes nothing in Muster: IsEcho recognises
// a finding whose workflow status matches Muster's own note, and the
// Security Hub parser marks it so that merging it keeps the stored
// alert's status (a late RESOLVED echo cannot resolve a reopened
// incident); besides, no alert reopens a Dismissed incident (package
// incident).
package writeback
