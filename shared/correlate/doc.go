// Package correlate decides which alerts belong together: it turns a flood
// of alerts into a few incidents that each tell one attack. It holds the
// rules only (no AWS imports); the correlator function loads the state it
// needs, calls Apply, and writes the Changes back.
//
// # The rules, in an analyst's words
//
// Linked alerts. Two alerts are linked when they share a correlation key
// and were first seen at most the window W apart (default 24h; exactly W
// apart still links, one second more does not). The keys are the affected
// resources (one EC2 instance is one key however a source spells it) and
// the strong entities: public IP addresses (never private, loopback or
// link-local ones), accounts and principals, access keys, host names
// (short and lower-case, so ip-10-0-1-25.ec2.internal and IP-10-0-1-25 are
// the same host), file hashes and domains. Alerts a suppression rule
// dismissed never link.
//
// Groups and incidents. Alerts that are linked, directly or through other
// alerts, form one group. A group becomes an incident when its alerts
// cover at least MinStages distinct kill-chain stages (default 2), or at
// once when a source already calls one of its alerts an incident or attack
// sequence (Defender IsIncident, GuardDuty AttackSequence:*). Groups below
// the threshold are kept, invisible, until a later alert completes them.
//
// The outcome does not depend on arrival order. Whether two alerts are
// linked depends on the two alerts only, so the groups are the same
// whatever order the alerts arrive in. When a late alert bridges two
// groups, they merge: the older one (earliest first activity) keeps its id
// and the other records mergedInto and stops growing.
//
// Why each alert joined. Every membership records the key, the alert it
// linked to and the stage it brought, as a sentence: "Linked to SSH brute
// force attacks against EC2 instance (3f2a…) through shared public IP
// 203.0.113.66", or "Started the incident".
//
// What an incident shows. Its title names the one affected resource
// ("Security incident detected on web-prod-1") or says "multiple
// resources"; its severity is the highest of its alerts, raised one level
// (at most Critical) when it spans three or more stages, unless a person
// set it (then it is kept); its tactics in kill-chain order; its resources
// with their tags, entities, sources, first and last activity, alert count;
// and a description of the attack's path: "Attack on web-prod-1 progressed
// from Pre-attack through Initial access and Credential access to
// Exfiltration, seen by GuardDuty, Falco and Alertmanager."
//
// Lifecycle. A new alert linked to a Resolved incident within W of its last
// activity reopens it (ReopenResolved, default on). A Dismissed incident
// never grows again: linked alerts start a new group. An incident holds at
// most MaxAlertsPerIncident alerts (default 500); further alerts open a
// continuation incident, linked both ways (continuationOf / continuedIn).
//
// Noisy keys. A key that links more than NoisyKeyResources distinct
// resources within W (default 5), such as a scanner's IP address or a
// shared NAT gateway, is noisy: it is recorded as such and stops linking
// within the window of the day it turned noisy. Noise detection is not
// retroactive: the alerts it linked before crossing the threshold stay
// linked.
//
// Re-deliveries. An alert that is already a member (a source re-sending
// it, or a stream batch replayed) never joins twice: it only refreshes its
// fields (last seen, count, severity, status) and the incident's derived
// fields. Replaying any batch changes nothing.
//
// # Limits of order independence
//
// Groups are exactly the connected components of the link relation as long
// as no key crosses the noisy threshold and no group reaches the cap: which
// alerts a key linked before it turned noisy, and which alerts overflow to
// a continuation, depend on arrival order. A status a person sets
// (Resolved, Dismissed) also changes what later alerts join. Property tests
// check order independence, batch splitting and double delivery on
// scenarios within those bounds, and compare the groups with the
// components computed straight from the definition.
//
// # State
//
// The engine reads two kinds of records through State:
//
//   - a key-day record per key and UTC day: the alerts first seen that day
//     with the key (first seen, group, name, resources) and the noisy flag;
//   - a group record per group: the visible Incident plus the members (each
//     with its Membership) and whether a source forced it.
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
