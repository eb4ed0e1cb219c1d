// Package incidentevent decides which event an incident change publishes and
// builds its EventBridge detail. It imports no AWS SDK: the responder feeds it
// the old and new images of a committed incident item (decoded by
// dynamostore) or a committed response request, and publishes what it
// returns.
//
// # Detail types
//
// Every event has source "muster" (resources.EventSource) and one of five
// detail types:
//
//	Incident Created             a group became an incident (inserted as one, or isIncident false → true)
//	Incident Status Changed      the status changed (Active, InProgress, Resolved, Dismissed)
//	Incident Updated             any other visible field changed
//	Incident Response Requested  someone (or an automation rule) asked for a playbook
//	Incident Response Updated    a playbook reported on its request (Running, Succeeded, Failed)
//
// # Deciding from a change (FromChange)
//
//   - The new image is not an incident (isIncident false): no event. Groups
//     below the incident threshold are invisible to consumers.
//   - No old image, or the old image was not an incident yet: Created.
//   - The status changed: Status Changed, exactly one event even when other
//     fields changed in the same write; change.fields lists every changed
//     field, status first, so nothing is hidden.
//   - Any other visible field changed (title, description, severity,
//     classification, owner, tactics, techniques, resources and their tags,
//     entities, sources, the incident's tags, alertCount, multiResource, activity times,
//     mergedInto, continuationOf, continuedIn): Updated.
//   - Nothing visible changed (only the correlator's private group state,
//     updatedAt/updatedBy or the version): no event.
//
// change.severityRaised is true on Created and whenever the severity went
// up, so a rule can page on "created or escalated to High or Critical"
// without comparing fields (see NotifyPattern).
//
// # Identity and de-duplication
//
// Each event carries detail.eventId, a stable id built from the incident id
// and the version the change committed ("<incidentId>:v<version>"), from
// the incident id and the request id for a response request
// ("<incidentId>:response:<requestId>"), and from those and the report's
// sequence for a playbook's report ("<incidentId>:response:<requestId>:r<n>"). The decision is a pure function of
// the committed stream images, so replaying a stream batch republishes the
// same events with the same ids: delivery is at least once, and consumers
// de-duplicate on detail.eventId (EventBridge's own envelope id differs on
// every PutEvents). Events of one incident may arrive out of order after a
// partial retry; incident.version orders them.
//
// # Size
//
// An event stays well under EventBridge's 256 KB entry limit: the summary
// lists at most MaxListed resources and entities (resourceCount and
// entityCount give the totals) and list fields in change.fields are capped
// the same way.
package incidentevent
