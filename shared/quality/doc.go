// Package quality scores a grouping of alerts into incidents against ground
// truth, and provides the baseline groupers Muster is compared with.
//
// A Grouper turns alerts into incidents: each incident is a list of alert
// ids. Alerts a grouper puts in no incident are singletons (the analyst sees
// them one by one, if at all).
//
// # Truth
//
// Labels map each alert id to the campaign it belongs to, or to Noise. Two
// alerts are a true pair when they carry the same campaign label; a noise
// alert is its own singleton, so it is in no true pair.
//
// # Metrics (Score)
//
//   - Pairwise precision: of the alert pairs the grouper put in one
//     incident, the share that are true pairs. 1 when it formed no pair.
//   - Pairwise recall: of the true pairs, the share the grouper put in one
//     incident. 1 when there are no true pairs.
//   - F1: the harmonic mean 2PR/(P+R); 0 when P+R is 0.
//   - Attacks missed: a campaign is detected when one incident holds a
//     strict majority of its alerts (more than half of them); otherwise it
//     is missed. An incident may detect several campaigns (that costs
//     precision, not detection).
//   - Noise reduction: alerts in ÷ incidents out (every input alert counts,
//     grouped or not). Alerts left in no incident are reported next to it
//     (Ungrouped), since a grouper that drops alerts reduces noise too.
//   - Alerts per incident: alerts inside incidents ÷ incidents.
//   - Incident precision: the share of incidents whose alerts are mostly
//     (more than half) from one campaign; 1 when there are no incidents.
//   - False incidents per attack: incidents whose alerts are mostly (more
//     than half) noise, divided by the number of campaigns. An incident that
//     is half noise, half campaign is neither precise nor false.
//
// # Time to detect (TimeToDetect)
//
// A grouping says which alerts belong together, not when the analyst could
// have known. A grouper that implements Timeline replays the alerts in
// firstSeen order (alert time, without delivery delay) and says when each
// incident formed: the firstSeen of the alert that made it reach the
// incident threshold (for an incident that absorbed others, the earliest
// such moment). A campaign's time to detect runs from its first alert's
// firstSeen to the later of that moment and the firstSeen of its earliest
// alert in the incident that holds most of it (the campaign must be in
// the incident to be detected by it). Campaigns with no such incident are
// not detected. Median and p90 are nearest-rank percentiles.
//
// PartitionDiff counts the alerts whose incident differs between two
// groupings (say, one delivery order and another): zero means identical
// partitions.
//
// Pairs are counted from a contingency table (incident × campaign), never
// enumerated, so scoring a million alerts is linear.
//
// # Baselines
//
//   - ByResource: Alertmanager's group_by on the resource. Every alert with
//     the same primary resource falls in one group, for all time; a group is
//     an incident when it holds at least two alerts.
//   - ByEntity: Sentinel-style grouping by shared entity. Two alerts are
//     linked when they share any resource id or any entity value (every
//     entity type, private IPs included) and their firstSeen times are at
//     most Window apart (default 5h); incidents are the connected components
//     with at least two alerts.
package quality
