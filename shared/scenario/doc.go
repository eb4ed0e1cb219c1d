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
//   - Random background. Single-stage alerts spread over a pool of
//     NoiseResources resources (a share of them on campaign resources),
//     carrying private source IPs drawn from a small pool, so that "any
//     shared entity" grouping chains unrelated noise together. Each noise
//     alert is its own singleton in the truth.
//   - Internet scanners. Each scanner is one public IP probing ScanTargets
//     resources (campaign resources among them) within a few hours; every
//     probe is noise. A good correlator treats the scanner's IP as a noisy
//     key.
//
// # Noise models
//
// Config.Noise chooses the background. NoiseLegacy is the first model: the
// random background (1,500 alerts by default) and the internet scanners,
// nothing else. NoiseRealistic, the default, models a fortnight of routine
// activity in an AWS estate: the random background at a lower rate (600),
// the same internet scanners, and six routine patterns drawn from the
// whole fleet (campaign resources included: the vulnerability scanner
// does not skip a host because it is under attack). Both models produce
// the same campaigns for a seed; every noise alert is labelled Noise and
// listed under its pattern in Scenario.Patterns.
//
// What separates routine from attack is repetition: the same pair of
// detections on a dozen hosts every night is routine; a rare chain of Low
// alerts progressing through stages on one resource is an attack. So each
// routine pattern repeats on the same resources day after day, and several
// of them have an attack's shape on any single day. Rates are for the
// default 14-day span; Config.Routine sizes each pattern (negative: off).
//
//   - Internal vulnerability scanner (about 290 alerts). A scanner host
//     probes the same 20 instances every night from 02:00, a few minutes
//     apart. Each probe is an IDS finding (OCSF, Pre-attack, Low) naming
//     the scanner's host name and private IP; GuardDuty also raises
//     Recon:EC2/Portscan on the scanner itself each night. GuardDuty's
//     finding-type documentation describes Recon:EC2/Portscan as an
//     instance port-scanning other hosts, and its suppression-rule guide
//     lists "Recon:EC2/Portscan from a vulnerability assessment
//     application" as a typical case to suppress. 20 hosts keep the
//     pattern at a tenth of the alerts while exceeding the engine's
//     default noisy-key threshold (five resources) several times over.
//   - CI principal (about 90). On working days the CI role (one principal,
//     calling from one egress public IP) deploys to six of a pool of twelve
//     service roles; each deployment raises GuardDuty
//     Discovery:IAMUser/AnomalousBehavior (Discovery, Low) and, about half
//     the time, Persistence:IAMUser/AnomalousBehavior (Persistence,
//     Medium) for its IAM changes. GuardDuty documents both as API calls
//     its anomaly model finds unusual for the principal, which is what
//     infrastructure-as-code pipelines produce when they touch new
//     services.
//   - Backup job (about 190). One backup role reads the same twelve S3
//     buckets every night from 01:00: GuardDuty
//     Discovery:S3/AnomalousBehavior (Discovery, Low) on each, and on about
//     15 % of bucket-nights Exfiltration:S3/AnomalousBehavior (High) — the
//     S3 Protection finding types GuardDuty raises for unusual bulk listing
//     and reading. The 15 % gives some buckets a two-stage
//     (Discovery + Exfiltration) night, the shape of data theft.
//   - Admin SSH from the office (about 140). On working days,
//     administrators connect from the office's one public IP to each of a
//     dozen hosts with probability 0.6 (about seven a day): an SSH login
//     from an external address (OCSF Authentication, Initial access, Low)
//     and, minutes later, Falco's default rule "Terminal shell in
//     container" (Execution; Falco priority Notice, mapped to Low) on the
//     same host. Initial access followed by execution on one host is an
//     attack's first two stages; here it happens on a dozen hosts every
//     working day from one known address. GuardDuty's suppression-rule
//     guide cites the same situation for bastion hosts
//     (UnauthorizedAccess:EC2/SSHBruteForce targeting a bastion).
//   - Port probes and routine discovery (about 140). Ten internet-facing
//     instances: on about 30 % of days each is probed by a fresh public IP
//     (GuardDuty Recon:EC2/PortProbeUnprotectedPort, Pre-attack, Low),
//     and on about 70 % of days its monitoring agent triggers Falco's
//     default rule "Contact K8S API Server From Container" (Discovery,
//     Low) one to six hours after that day's probe time. Pre-attack then
//     Discovery on one resource is a two-stage chain that means nothing.
//     GuardDuty's suppression-rule guide lists
//     Recon:EC2/PortProbeUnprotectedPort on intentionally exposed
//     instances as a common case.
//   - Daily control and CVE findings (about 340). 24 resources each carry
//     one failed Security Hub control (EC2.8 IMDSv2, SSM.1 managed by
//     Systems Manager, S3.5 SSL-only buckets) or one Inspector package
//     vulnerability (CVE-2024-6387 in openssh, CVE-2023-4863 in libwebp),
//     reported again after every daily evaluation: no kill-chain stage,
//     Low or Medium severity. Security Hub's control reference documents
//     periodic (daily) evaluation of these controls; Security Hub updates
//     one finding in place, so a new alert each day models a forwarder
//     that sends each evaluation as its own record (daily exports).
//
// These rates are judgement, not measurement: chosen so that the routine
// patterns together are about half of the noise (the background and
// scanners the rest), each touches more resources than the default
// noisy-key threshold, and the scenario stays near the legacy size
// (about 2,700 alerts against 2,400) so the bench stays fast.
//
// Delivery is out of order: every alert's ReceivedAt is its FirstSeen plus a
// random delay (seconds to hours, heavy-tailed), and alerts are returned
// sorted by ReceivedAt (or fully shuffled with Shuffle).
//
// # The storm preset
//
// Storm(seed) compresses an alert storm into ten minutes for the bench's
// write-rate measurement: ten internet scanners each sweep 4,000 of about
// 5,000 instances within five minutes (40,000 probes), 9,700 random
// single-stage alerts fall evenly on the same pool, and 20 campaigns (two to
// eight minutes each, no repeats or overlaps) run inside the window; about
// 50,000 alerts, delivered at most 20 seconds after they fire (MaxDelay).
// Scanner sweeps start at random in the first five minutes, so the rate
// peaks where they overlap.
//
// Resource ids, entity values and source ids are derived from the seed, so
// different seeds give different, non-colliding worlds. The package imports
// no AWS SDK.
package scenario
