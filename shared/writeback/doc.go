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
// through the findings rule) changes nothing in Muster: a Resolved
// re-delivery only resolves Active or InProgress incidents, and no alert
// reopens a Dismissed incident (package incident).
package writeback
