// Package incident defines a security incident: a group of correlated alerts
// that together tell one attack, with the lifecycle an analyst drives.
//
// The correlate package decides which alerts form an incident; this package
// holds the data and the lifecycle rules that do not depend on correlation:
// statuses and their allowed transitions, classifications, the timeline,
// comments and response requests.
//
// Status transitions (anything else is ErrTransition):
//
//	Active     → InProgress, Resolved, Dismissed
//	InProgress → Active, Resolved, Dismissed
//	Resolved   → Active, InProgress (reopen by hand)
//	Dismissed  → Active (undo a dismissal by hand)
//
// The correlator also reopens a Resolved incident when a linked alert
// arrives within the correlation window; a Dismissed incident is never
// reopened by new alerts.
//
// Every stored incident carries a Version that increases by one with every
// committed change; writers use it for optimistic locking and event
// consumers use (ID, Version) to de-duplicate.
package incident
