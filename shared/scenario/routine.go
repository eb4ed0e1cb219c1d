package scenario

import (
	"fmt"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// NoiseModel chooses the background the campaigns hide in.
type NoiseModel int

const (
	// NoiseRealistic (the default) is a day of routine activity: the
	// patterns doc.go describes, repeating across resources and days, plus
	// random single-stage background alerts and internet scanners.
	NoiseRealistic NoiseModel = iota
	// NoiseLegacy is the first model: random single-stage alerts over a
	// pool of resources plus internet scanners, and nothing routine.
	NoiseLegacy
)

// String names the model.
func (m NoiseModel) String() string {
	if m == NoiseLegacy {
		return "legacy"
	}
	return "realistic"
}

// Routine sizes the realistic model's routine patterns. A zero field takes
// its default; a negative one turns the pattern off.
type Routine struct {
	// ScanHosts is the number of instances the internal vulnerability
	// scanner probes every night (default 20).
	ScanHosts int `json:"scanHosts"`
	// CIResources is the number of service roles the CI principal deploys
	// to on a working day, drawn from a pool twice that size (default 6).
	CIResources int `json:"ciResources"`
	// BackupBuckets is the number of buckets the backup role reads every
	// night (default 12).
	BackupBuckets int `json:"backupBuckets"`
	// AdminHosts is the number of hosts administrators log in to from the
	// office on working days (default 12).
	AdminHosts int `json:"adminHosts"`
	// ExposedHosts is the number of internet-facing hosts that are probed
	// and inventoried every day (default 10).
	ExposedHosts int `json:"exposedHosts"`
	// Misconfigured is the number of resources whose failed control or
	// vulnerability is reported again every day (default 24).
	Misconfigured int `json:"misconfigured"`
}

func (r Routine) withDefaults() Routine {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.ScanHosts, 20)
	def(&r.CIResources, 6)
	def(&r.BackupBuckets, 12)
	def(&r.AdminHosts, 12)
	def(&r.ExposedHosts, 10)
	def(&r.Misconfigured, 24)
	return r
}

// Pattern names, as Scenario.Patterns reports them.
const (
	PatternBackground     = "random background"
	PatternScanners       = "internet scanners"
	PatternVulnScan       = "internal vulnerability scanner"
	PatternCI             = "CI principal"
	PatternBackup         = "backup job"
	PatternAdminSSH       = "admin SSH from the office"
	PatternProbeDiscovery = "port probes and routine discovery"
	PatternPosture        = "daily control and CVE findings"
)

// Pattern is the ground truth of one noise pattern: all its alerts are
// noise.
type Pattern struct {
	Name string `json:"name"`
	// Resources and Days count the distinct primary resources and UTC days
	// its alerts fall on.
	Resources int      `json:"resources"`
	Days      int      `json:"days"`
	AlertIDs  []string `json:"alertIds"`
}

// routine emits the realistic model's routine patterns over fleet.
func (g *gen) routine(fleet []target) {
	r := g.cfg.Routine
	r = Routine{max(r.ScanHosts, 0), max(r.CIResources, 0), max(r.BackupBuckets, 0), max(r.AdminHosts, 0),
		max(r.ExposedHosts, 0), max(r.Misconfigured, 0)}
	g.vulnScan(g.sample(fleet, r.ScanHosts))
	g.ci(g.sample(fleet, 2*r.CIResources), r.CIResources)
	g.backup(g.sample(fleet, r.BackupBuckets))
	g.adminSSH(g.sample(fleet, r.AdminHosts))
	g.probeDiscovery(g.sample(fleet, r.ExposedHosts))
	g.posture(g.sample(fleet, r.Misconfigured))
}

// sample returns n distinct targets of fleet (all when it has fewer).
func (g *gen) sample(fleet []target, n int) []target {
	out := make([]target, 0, n)
	for _, k := range g.rng.Perm(len(fleet))[:min(n, len(fleet))] {
		out = append(out, fleet[k])
	}
	return out
}

// days calls f with the start (00:00 UTC) of every day of the span.
func (g *gen) days(f func(day time.Time)) {
	for d := time.Duration(0); d < g.cfg.Span; d += 24 * time.Hour {
		f(g.cfg.Start.Add(d))
	}
}

func workingDay(day time.Time) bool {
	return day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
}

func (g *gen) emitIn(pattern string, a *alert.Alert) {
	g.emit(a, Noise)
	g.pattern[pattern] = append(g.pattern[pattern], a.ID)
}

func account(v string) alert.Entity { return alert.Entity{Type: alert.EntityAccount, Value: v} }
func host(v string) alert.Entity    { return alert.Entity{Type: alert.EntityHost, Value: v} }

// vulnScan: one scanner host probes the same instances every night from
// 02:00, a few minutes apart; GuardDuty also flags the scanner itself.
func (g *gen) vulnScan(hosts []target) {
	if len(hosts) == 0 {
		return
	}
	scanner := g.target()
	scanner.name = "vulnscan-prod-1"
	g.days(func(day time.Time) {
		at := day.Add(2*time.Hour + g.dur(0, 30*time.Minute))
		g.emitIn(PatternVulnScan, g.alert(routineDet.portscan, scanner, nil, at, campaignEntities{}))
		for _, t := range hosts {
			at = at.Add(g.dur(time.Minute, 6*time.Minute))
			g.emitIn(PatternVulnScan, g.alert(routineDet.internalScan, t, nil, at, campaignEntities{},
				host(scanner.host), alert.Entity{Type: alert.EntityIP, Value: scanner.privateIP}))
		}
	})
}

// ci: on working days the CI role deploys to some of a pool of services:
// anomalous discovery calls on each, IAM changes on about half.
func (g *gen) ci(pool []target, perDay int) {
	if len(pool) == 0 {
		return
	}
	role := fmt.Sprintf("arn:aws:iam::%s:role/ci-deploy", g.account)
	egress := g.publicIP()
	g.days(func(day time.Time) {
		if !workingDay(day) {
			return
		}
		for _, t := range g.sample(pool, perDay) {
			at := day.Add(g.dur(9*time.Hour, 18*time.Hour))
			e := campaignEntities{ip: egress}
			g.emitIn(PatternCI, g.alert(routineDet.ciDiscovery, t, nil, at, e, account(role)))
			if g.rng.Float64() < 0.5 {
				g.emitIn(PatternCI, g.alert(routineDet.ciIAM, t, nil, at.Add(g.dur(time.Minute, 10*time.Minute)), e, account(role)))
			}
		}
	})
}

// backup: the backup role reads the same buckets every night; GuardDuty
// calls it anomalous discovery, and on some nights anomalous exfiltration.
func (g *gen) backup(buckets []target) {
	if len(buckets) == 0 {
		return
	}
	role := fmt.Sprintf("arn:aws:iam::%s:role/backup-nightly", g.account)
	g.days(func(day time.Time) {
		at := day.Add(time.Hour + g.dur(0, 20*time.Minute))
		for _, t := range buckets {
			at = at.Add(g.dur(time.Minute, 8*time.Minute))
			g.emitIn(PatternBackup, g.alert(routineDet.backupDiscovery, t, nil, at, campaignEntities{}, account(role)))
			if g.rng.Float64() < 0.15 {
				g.emitIn(PatternBackup, g.alert(routineDet.backupExfil, t, nil, at.Add(g.dur(5*time.Minute, 40*time.Minute)), campaignEntities{}, account(role)))
			}
		}
	})
}

// adminSSH: on working days administrators log in from the office's one
// public address to most of a dozen hosts and open a shell in a container:
// the InitialAccess + Execution shape of an attack, every day.
func (g *gen) adminSSH(hosts []target) {
	if len(hosts) == 0 {
		return
	}
	office := campaignEntities{ip: g.publicIP()}
	g.days(func(day time.Time) {
		if !workingDay(day) {
			return
		}
		for _, t := range hosts {
			if g.rng.Float64() >= 0.6 {
				continue
			}
			at := day.Add(g.dur(8*time.Hour+30*time.Minute, 18*time.Hour))
			g.emitIn(PatternAdminSSH, g.alert(routineDet.sshLogin, t, nil, at, office))
			g.emitIn(PatternAdminSSH, g.alert(routineDet.shell, t, nil, at.Add(g.dur(time.Minute, 15*time.Minute)), campaignEntities{}))
		}
	})
}

// probeDiscovery: internet-facing hosts are probed by a fresh public
// address on about a third of days, and their monitoring agent queries the
// Kubernetes API on most days, often soon after a probe.
func (g *gen) probeDiscovery(hosts []target) {
	g.days(func(day time.Time) {
		for _, t := range hosts {
			probed := g.rng.Float64() < 0.3
			at := day.Add(g.dur(0, 18*time.Hour))
			if probed {
				g.emitIn(PatternProbeDiscovery, g.alert(scan, t, nil, at, campaignEntities{ip: g.publicIP()}))
			}
			if g.rng.Float64() < 0.7 {
				g.emitIn(PatternProbeDiscovery, g.alert(routineDet.k8sAPI, t, nil, at.Add(g.dur(time.Hour, 6*time.Hour)), campaignEntities{}))
			}
		}
	})
}

// posture: the same failed control or vulnerability on the same resource
// is reported again after every daily evaluation.
func (g *gen) posture(resources []target) {
	for _, t := range resources {
		d := pick(g.rng, routineDet.posture)
		hour := g.dur(3*time.Hour, 6*time.Hour)
		g.days(func(day time.Time) {
			g.emitIn(PatternPosture, g.alert(d, t, nil, day.Add(hour+g.dur(0, 30*time.Minute)), campaignEntities{}))
		})
	}
}

// routineDet holds the detections routine activity raises (doc.go says
// where each comes from).
var routineDet = struct {
	portscan, internalScan, ciDiscovery, ciIAM, backupDiscovery, backupExfil, sshLogin, shell, k8sAPI detection
	posture                                                                                           []detection
}{
	portscan: detection{provider: alert.ProviderGuardDuty, typ: "Recon:EC2/Portscan", name: "EC2 instance is performing outbound port scans",
		stage: killchain.PreAttack, severity: alert.Medium, host: true, technique: "T1046"},
	internalScan: detection{provider: alert.ProviderOCSF, typ: "Network scan from internal host", name: "Port scan from an internal host",
		stage: killchain.PreAttack, severity: alert.Low, host: true, technique: "T1046"},
	ciDiscovery: detection{provider: alert.ProviderGuardDuty, typ: "Discovery:IAMUser/AnomalousBehavior", name: "Anomalous discovery API calls",
		stage: killchain.Discovery, severity: alert.Low, on: onRole, attacker: true, technique: "T1087"},
	ciIAM: detection{provider: alert.ProviderGuardDuty, typ: "Persistence:IAMUser/AnomalousBehavior", name: "Anomalous IAM changes",
		stage: killchain.Persistence, severity: alert.Medium, on: onRole, attacker: true, technique: "T1098"},
	backupDiscovery: detection{provider: alert.ProviderGuardDuty, typ: "Discovery:S3/AnomalousBehavior", name: "Anomalous S3 discovery API calls",
		stage: killchain.Discovery, severity: alert.Low, on: onBucket, technique: "T1619"},
	backupExfil: detection{provider: alert.ProviderGuardDuty, typ: "Exfiltration:S3/AnomalousBehavior", name: "Anomalous S3 data access",
		stage: killchain.Exfiltration, severity: alert.High, on: onBucket, technique: "T1530"},
	sshLogin: detection{provider: alert.ProviderOCSF, typ: "SSH login from external address", name: "SSH login from an external address",
		stage: killchain.InitialAccess, severity: alert.Low, host: true, attacker: true, technique: "T1078"},
	shell: detection{provider: alert.ProviderFalco, typ: "Terminal shell in container", name: "Terminal shell in container",
		stage: killchain.Execution, severity: alert.Low, host: true, technique: "T1059"},
	k8sAPI: detection{provider: alert.ProviderFalco, typ: "Contact K8S API Server From Container", name: "Unexpected connection to the K8s API server",
		stage: killchain.Discovery, severity: alert.Low, host: true, technique: "T1613"},
	posture: []detection{
		{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/AWS Security Best Practices/EC2.8", name: "EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)", stage: killchain.Unknown, severity: alert.Medium},
		{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/AWS Security Best Practices/SSM.1", name: "EC2 instances should be managed by AWS Systems Manager", stage: killchain.Unknown, severity: alert.Medium},
		{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/AWS Security Best Practices/S3.5", name: "S3 general purpose buckets should require requests to use SSL", stage: killchain.Unknown, severity: alert.Low, on: onBucket},
		{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/Vulnerabilities/CVE", name: "CVE-2024-6387 - openssh", stage: killchain.Unknown, severity: alert.Medium},
		{provider: alert.ProviderSecurityHub, typ: "Software and Configuration Checks/Vulnerabilities/CVE", name: "CVE-2023-4863 - libwebp", stage: killchain.Unknown, severity: alert.Low},
	},
}
