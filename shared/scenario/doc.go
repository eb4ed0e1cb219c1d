// Package scenario generates labelled, seeded security-alert scenarios for
// measuring correlation quality.
//
// Generate returns normalised alerts (each finished with alert.Finish) and,
// for every alert, its ground truth: the id of the attack campaign it belongs
// to, or Noise. The same Config (including Seed) always yields the same
// alerts, in the same delivery order, with the same labels.
//
// What a scenario holds:
//
//   - Campaigns. Each is one attacker (a public IP, a stolen principal)
//     progressing through kill-chain stages over one to twenty hours, seen by
//     several sources (GuardDuty, Alertmanager, Falco, Security Hub, Defender
//     for Cloud, OCSF). A campaign starts on one resource; MultiResource of
//     them move laterally to one or two more, the later resources linked to
//     the first by the attacker's IP, the stolen principal or the pivot host.
//   - Repeat attacks. Repeats campaigns reuse the first resource of an
//     earlier campaign, at least RepeatGap (default 72h) after it ended, with
//     a new attacker: the same resource, a separate attack. A correlator with
//     a 24h window keeps them apart; grouping by resource alone does not.
//   - Overlaps. Overlaps campaigns are a second attacker on the first
//     resource of a running campaign (starting 1–12 h after it): two
//     separate attacks sharing one resource inside the window. The truth
//     keeps them apart; a correlator that links by resource merges them, at
//     a cost in precision that every resource-based grouping pays alike.
//   - Noise. Single-stage alerts spread over a pool of NoiseResources
//     resources (a share of them on campaign resources), carrying private
//     source IPs drawn from a small pool, so that "any shared entity"
//     grouping chains unrelated noise together. Each noise alert is its own
//     singleton in the truth.
//   - Scanners. Each scanner is one public IP probing ScanTargets resources
//     (campaign resources among them) within a few hours; every probe is
//     noise. A good correlator treats the scanner's IP as a noisy key.
//
// Delivery is out of order: every alert's ReceivedAt is its FirstSeen plus a
// random delay (seconds to hours, heavy-tailed), and alerts are returned
// sorted by ReceivedAt (or fully shuffled with Shuffle).
//
// Resource ids, entity values and source ids are derived from the seed, so
// different seeds give different, non-colliding worlds. The package imports
// no AWS SDK.
package scenario
