package scenario

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// Noise is the label of alerts that belong to no campaign. In the truth each
// noise alert is its own singleton.
const Noise = "noise"

// Config sizes a scenario. The zero value of any field means its default;
// the zero Config is the default scenario (DefaultConfig spells it out).
type Config struct {
	// Seed makes the scenario reproducible: the same Config gives the same
	// alerts, order and labels.
	Seed uint64
	// Campaigns is the number of attacks on fresh resources (default 40).
	Campaigns int
	// MultiResource is the share of those campaigns that move laterally to
	// one or two more resources (default 0.4; a negative value means 0).
	MultiResource float64
	// Repeats is the number of later, separate attacks on the first resource
	// of an earlier campaign (default 8; at most Campaigns; -1 means none).
	Repeats int
	// Overlaps is the number of attacks by a second attacker on the first
	// resource of an earlier campaign while it is still running (starting
	// 1–12 h after it): the same resource shared by two separate attacks
	// inside the window (default 2; at most Campaigns; -1 means none). No
	// correlator that links by resource can tell them apart; the truth
	// keeps them separate.
	Overlaps int
	// RepeatGap is the least time between the end of a campaign and the
	// start of a repeat on its resource (default 72h).
	RepeatGap time.Duration
	// MinAlerts and MaxAlerts bound the alerts per campaign (default 8, 20).
	MinAlerts, MaxAlerts int
	// MinDuration and MaxDuration bound a campaign's duration from first
	// to last alert (default 1h and 20h).
	MinDuration, MaxDuration time.Duration
	// Noise chooses the noise model: NoiseRealistic (the zero value) or
	// NoiseLegacy.
	Noise NoiseModel
	// Routine sizes the realistic model's routine patterns (ignored by the
	// legacy model).
	Routine Routine
	// NoiseAlerts is the number of random single-stage background alerts
	// (default 600 in the realistic model, 1500 in the legacy one; -1
	// means none).
	NoiseAlerts int
	// NoiseResources is the number of resources noise falls on (default 300).
	NoiseResources int
	// NoiseOnCampaigns is the share of noise alerts that fall on campaign
	// resources instead (default 0.1; a negative value means 0).
	NoiseOnCampaigns float64
	// Scanners is the number of scanning public IPs (default 5; -1 none).
	Scanners int
	// ScanTargets is the number of resources each scanner probes (default 40).
	ScanTargets int
	// ScanDuration is how long one scanner's sweep lasts (default 3h).
	ScanDuration time.Duration
	// MaxDelay, when set, replaces the heavy-tailed delivery delay by one
	// drawn uniformly from [0, MaxDelay) (a storm's alerts arrive as they
	// fire).
	MaxDelay time.Duration
	// Start and Span place the scenario in time (default 2026-11-01 UTC and
	// 14 days). Campaigns start inside Span; repeats may run past it.
	Start time.Time
	Span  time.Duration
	// Shuffle delivers the alerts in a random order instead of by arrival
	// time.
	Shuffle bool
}

// DefaultConfig returns the default scenario's configuration.
func DefaultConfig() Config { return Config{}.withDefaults() }

// Legacy returns the default scenario under the legacy noise model (the
// campaigns are the same as the default scenario's for the same seed).
func Legacy(seed uint64) Config { return Config{Seed: seed, Noise: NoiseLegacy}.withDefaults() }

// Small returns a small scenario (a few hundred alerts) for tests and smoke
// runs.
func Small(seed uint64) Config {
	return Config{Seed: seed, Campaigns: 8, Repeats: 2, NoiseAlerts: 150, NoiseResources: 40,
		Scanners: 1, ScanTargets: 12, Span: 7 * 24 * time.Hour,
		Routine: Routine{ScanHosts: 5, CIResources: 2, BackupBuckets: 3, AdminHosts: 4, ExposedHosts: 3, Misconfigured: 5}}.withDefaults()
}

// Storm returns the storm preset: 50,000 alerts (about) in ten minutes.
// Ten internet scanners each sweep 4,000 of about 5,000 resources within
// five minutes (40,000 probes), 9,700 random single-stage alerts fall on
// the same resources, and 20 real campaigns (no repeats or overlaps) run
// two to eight minutes each inside the window. The background falls
// evenly on the pool (campaign resources are 0.7 % of it, so 0.7 % of the
// background, not the default 10 %). Delivery delays are at most
// 20 seconds. The legacy noise model is used: the routine patterns repeat
// daily and mean nothing in ten minutes. The Config is returned as set
// (Generate fills the rest): its -1s mean none.
func Storm(seed uint64) Config {
	return Config{Seed: seed, Noise: NoiseLegacy, Campaigns: 20, Repeats: -1, Overlaps: -1,
		NoiseAlerts: 9700, NoiseResources: 4970, NoiseOnCampaigns: 0.007, Scanners: 10, ScanTargets: 4000,
		Span: 10 * time.Minute, MinDuration: 2 * time.Minute, MaxDuration: 8 * time.Minute,
		ScanDuration: 5 * time.Minute, MaxDelay: 20 * time.Second, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
}

// Scale returns the default scenario with every count multiplied by f
// (campaigns, repeats, noise alerts and resources, scanners) and the span
// stretched as much (for f > 1), so the density of alerts per day stays the
// same. The routine patterns keep their sizes: they repeat every day, so a
// longer span already multiplies them.
func Scale(seed uint64, f float64) Config {
	d := DefaultConfig()
	mul := func(n int) int { return max(1, int(float64(n)*f+0.5)) }
	d.Seed = seed
	d.Campaigns, d.Repeats, d.NoiseAlerts = mul(d.Campaigns), mul(d.Repeats), mul(d.NoiseAlerts)
	d.Overlaps = mul(d.Overlaps)
	d.NoiseResources, d.Scanners = mul(d.NoiseResources), mul(d.Scanners)
	d.Span = time.Duration(float64(d.Span) * max(1, f))
	return d
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	def(&c.Campaigns, 40)
	def(&c.Repeats, 8)
	def(&c.Overlaps, 2)
	def(&c.MinAlerts, 8)
	def(&c.MaxAlerts, 20)
	if c.Noise == NoiseLegacy {
		def(&c.NoiseAlerts, 1500)
	} else {
		def(&c.NoiseAlerts, 600)
	}
	c.Routine = c.Routine.withDefaults()
	def(&c.NoiseResources, 300)
	def(&c.Scanners, 5)
	def(&c.ScanTargets, 40)
	c.Repeats = min(c.Repeats, c.Campaigns)
	c.Overlaps = min(c.Overlaps, c.Campaigns)
	c.MaxAlerts = max(c.MaxAlerts, c.MinAlerts)
	if c.MultiResource == 0 {
		c.MultiResource = 0.4
	}
	c.MultiResource = max(0, c.MultiResource)
	if c.NoiseOnCampaigns == 0 {
		c.NoiseOnCampaigns = 0.1
	}
	c.NoiseOnCampaigns = max(0, c.NoiseOnCampaigns)
	if c.RepeatGap <= 0 {
		c.RepeatGap = 72 * time.Hour
	}
	if c.MinDuration <= 0 {
		c.MinDuration = time.Hour
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = 20 * time.Hour
	}
	c.MaxDuration = max(c.MaxDuration, c.MinDuration)
	if c.ScanDuration <= 0 {
		c.ScanDuration = 3 * time.Hour
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Span <= 0 {
		c.Span = 14 * 24 * time.Hour
	}
	c.Span = max(c.Span, c.MaxDuration+c.MinDuration, c.ScanDuration)
	return c
}

// Campaign is the ground truth of one attack.
type Campaign struct {
	ID string `json:"id"`
	// Resources are the canonical ids of the resources its alerts name as
	// primary resource, in order of first appearance.
	Resources []string `json:"resources"`
	// Stages are the kill-chain stages its alerts reach, in kill-chain order.
	Stages []killchain.Stage `json:"stages"`
	// AttackerIP is the campaign's public source address.
	AttackerIP string    `json:"attackerIp"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	// RepeatOf names the earlier campaign on the same resource, if any.
	RepeatOf string `json:"repeatOf,omitempty"`
	// OverlapOf names the campaign running on the same resource at the same
	// time, if any.
	OverlapOf string   `json:"overlapOf,omitempty"`
	AlertIDs  []string `json:"alertIds"`
}

// Scanner is the ground truth of one scanning IP (all its alerts are noise).
type Scanner struct {
	IP       string   `json:"ip"`
	AlertIDs []string `json:"alertIds"`
}

// Scenario is a generated set of alerts with their labels.
type Scenario struct {
	Config Config `json:"config"`
	// Alerts in delivery order, each finished and valid.
	Alerts []*alert.Alert `json:"-"`
	// Labels maps every alert id to its campaign id or Noise.
	Labels    map[string]string `json:"-"`
	Campaigns []Campaign        `json:"campaigns"`
	Scanners  []Scanner         `json:"scanners"`
	// Patterns lists the noise patterns present, in a fixed order: the
	// random background, the internet scanners and (realistic model) each
	// routine pattern.
	Patterns []Pattern `json:"patterns"`
}

// Label returns the alert's campaign id, or Noise.
func (s *Scenario) Label(alertID string) string {
	if l, ok := s.Labels[alertID]; ok {
		return l
	}
	return Noise
}

// NoiseCount is the number of noise alerts (scanner probes included).
func (s *Scenario) NoiseCount() int {
	n := 0
	for _, l := range s.Labels {
		if l == Noise {
			n++
		}
	}
	return n
}

// target is a workload an attack or noise can fall on.
type target struct {
	name, instance, host, privateIP, role, bucket, account string
}

type gen struct {
	cfg     Config
	rng     *rand.Rand
	seq     int
	used    map[string]bool
	out     []*alert.Alert
	labels  map[string]string
	account string
	pattern map[string][]string // pattern name → its alert ids
}

// Generate builds the scenario for cfg.
func Generate(cfg Config) *Scenario {
	cfg = cfg.withDefaults()
	g := &gen{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		used:    map[string]bool{},
		labels:  map[string]string{},
		pattern: map[string][]string{},
	}
	g.account = fmt.Sprintf("%012d", g.rng.Int64N(1e12))
	sc := &Scenario{Config: cfg, Labels: g.labels}

	campaignTargets := g.attacks(sc)
	noiseTargets := g.background(campaignTargets)
	all := append(append([]target(nil), noiseTargets...), campaignTargets...)
	sc.Scanners = g.scanners(all)
	if cfg.Noise == NoiseRealistic {
		g.routine(all)
	}
	g.finish(sc)
	return sc
}

// attacks emits the campaigns, repeats and overlaps into sc and returns
// every target they touch.
func (g *gen) attacks(sc *Scenario) []target {
	cfg := g.cfg
	var campaignTargets []target
	firstTarget := map[string]target{} // campaign id → its first target
	for i := 0; i < cfg.Campaigns; i++ {
		first := g.target()
		targets := []target{first}
		if g.rng.Float64() < cfg.MultiResource {
			for range 1 + g.rng.IntN(2) {
				targets = append(targets, g.target())
			}
		}
		campaignTargets = append(campaignTargets, targets...)
		start := cfg.Start.Add(g.dur(0, cfg.Span-cfg.MaxDuration))
		id := fmt.Sprintf("campaign-%03d", i+1)
		firstTarget[id] = first
		sc.Campaigns = append(sc.Campaigns, g.campaign(id, targets, start, ""))
	}
	for i, orig := range g.rng.Perm(cfg.Campaigns)[:cfg.Repeats] {
		prev := sc.Campaigns[orig]
		t := firstTarget[prev.ID]
		start := prev.End.Add(cfg.RepeatGap + g.dur(0, 48*time.Hour))
		sc.Campaigns = append(sc.Campaigns, g.campaign(fmt.Sprintf("repeat-%03d", i+1), []target{t}, start, prev.ID))
	}
	for i, orig := range g.rng.Perm(cfg.Campaigns)[:cfg.Overlaps] {
		prev := sc.Campaigns[orig]
		start := prev.Start.Add(g.dur(time.Hour, 12*time.Hour))
		c := g.campaign(fmt.Sprintf("overlap-%03d", i+1), []target{firstTarget[prev.ID]}, start, "")
		c.OverlapOf = prev.ID
		sc.Campaigns = append(sc.Campaigns, c)
	}
	return campaignTargets
}

// background emits the random single-stage noise over a fresh pool of
// NoiseResources targets (a share on campaign targets) and returns the
// pool.
func (g *gen) background(campaignTargets []target) []target {
	cfg := g.cfg
	noiseTargets := make([]target, cfg.NoiseResources)
	for i := range noiseTargets {
		noiseTargets[i] = g.target()
	}
	pool := make([]string, 12) // shared infrastructure: NAT, bastion, monitoring
	for i := range pool {
		pool[i] = fmt.Sprintf("10.0.0.%d", 10+i)
	}
	for range cfg.NoiseAlerts {
		t := pick(g.rng, noiseTargets)
		if len(campaignTargets) > 0 && g.rng.Float64() < cfg.NoiseOnCampaigns {
			t = pick(g.rng, campaignTargets)
		}
		d := pick(g.rng, noise)
		at := cfg.Start.Add(g.dur(0, cfg.Span))
		a := g.alert(d, t, nil, at, campaignEntities{})
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityIP, Value: pick(g.rng, pool)})
		g.emitIn(PatternBackground, a)
	}
	return noiseTargets
}

// scanners emits each internet scanner's sweep over ScanTargets of all.
func (g *gen) scanners(all []target) []Scanner {
	var out []Scanner
	for range g.cfg.Scanners {
		ip := g.publicIP()
		s := Scanner{IP: ip}
		at := g.cfg.Start.Add(g.dur(0, g.cfg.Span-g.cfg.ScanDuration))
		for _, k := range g.rng.Perm(len(all))[:min(g.cfg.ScanTargets, len(all))] {
			a := g.alert(scan, all[k], nil, at.Add(g.dur(0, g.cfg.ScanDuration)), campaignEntities{ip: ip})
			g.emitIn(PatternScanners, a)
			s.AlertIDs = append(s.AlertIDs, a.ID)
		}
		out = append(out, s)
	}
	return out
}

var patternOrder = []string{PatternBackground, PatternScanners, PatternVulnScan, PatternCI, PatternBackup,
	PatternAdminSSH, PatternProbeDiscovery, PatternPosture}

// finish fills the campaigns' and patterns' alert lists and puts the
// alerts in delivery order.
func (g *gen) finish(sc *Scenario) {
	byCampaign := map[string][]string{}
	byID := make(map[string]*alert.Alert, len(g.out))
	for _, a := range g.out {
		byID[a.ID] = a
		if l := g.labels[a.ID]; l != Noise {
			byCampaign[l] = append(byCampaign[l], a.ID)
		}
	}
	for i := range sc.Campaigns {
		sc.Campaigns[i].AlertIDs = byCampaign[sc.Campaigns[i].ID]
	}
	for _, name := range patternOrder {
		ids := g.pattern[name]
		if len(ids) == 0 {
			continue
		}
		res, days := map[string]bool{}, map[string]bool{}
		for _, id := range ids {
			res[byID[id].PrimaryResource()] = true
			days[byID[id].FirstSeen.UTC().Format(time.DateOnly)] = true
		}
		sc.Patterns = append(sc.Patterns, Pattern{Name: name, Resources: len(res), Days: len(days), AlertIDs: ids})
	}

	if g.cfg.Shuffle {
		g.rng.Shuffle(len(g.out), func(i, j int) { g.out[i], g.out[j] = g.out[j], g.out[i] })
	} else {
		sort.SliceStable(g.out, func(i, j int) bool {
			if !g.out[i].ReceivedAt.Equal(g.out[j].ReceivedAt) {
				return g.out[i].ReceivedAt.Before(g.out[j].ReceivedAt)
			}
			return g.out[i].ID < g.out[j].ID
		})
	}
	sc.Alerts = g.out
}

type campaignEntities struct {
	ip, hash, key string
}

// campaign emits one attack's alerts on targets from start.
func (g *gen) campaign(id string, targets []target, start time.Time, repeatOf string) Campaign {
	type step struct {
		t     int
		stage killchain.Stage
	}
	var steps []step
	for ti := range targets {
		path := laterPath
		must := map[killchain.Stage]bool{killchain.LateralMovement: true, killchain.Execution: true}
		keep := 0.35
		if ti == 0 {
			path = firstPath
			must = map[killchain.Stage]bool{killchain.InitialAccess: true, killchain.Execution: true}
			keep = 0.4
		}
		for _, st := range path {
			if must[st] || (ti == 0 && st == killchain.PreAttack && g.rng.Float64() < 0.7) || g.rng.Float64() < keep {
				steps = append(steps, step{ti, st})
			}
		}
	}
	n := max(len(steps), g.cfg.MinAlerts+g.rng.IntN(g.cfg.MaxAlerts-g.cfg.MinAlerts+1))
	dur := g.dur(g.cfg.MinDuration, g.cfg.MaxDuration)
	times := make([]time.Time, n)
	for i := range times {
		times[i] = start.Add(g.dur(0, dur))
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	times[0], times[n-1] = start, start.Add(dur)

	ents := campaignEntities{ip: g.publicIP(), hash: g.hex(32), key: "ASIA" + g.upper(16)}
	c := Campaign{ID: id, AttackerIP: ents.ip, Start: start, End: start.Add(dur), RepeatOf: repeatOf}
	seenRes := map[string]bool{}
	stages := killchain.NewSet()
	for k := 0; k < n; k++ {
		s := steps[k*len(steps)/n]
		d := pick(g.rng, attack[s.stage])
		var prev *target
		if s.t > 0 {
			prev = &targets[s.t-1]
		}
		a := g.alert(d, targets[s.t], prev, times[k], ents)
		g.emit(a, id)
		if r := a.PrimaryResource(); !seenRes[r] {
			seenRes[r] = true
			c.Resources = append(c.Resources, r)
		}
		stages = stages.With(s.stage)
	}
	c.Stages = stages.Stages()
	return c
}

// alert builds one alert of detection d on target t at time at.
// extra entities are added as they are.
func (g *gen) alert(d detection, t target, pivot *target, at time.Time, e campaignEntities, extra ...alert.Entity) *alert.Alert {
	g.seq++
	a := &alert.Alert{
		Provider:   d.provider,
		SourceID:   g.sourceID(d.provider),
		Type:       d.typ,
		Name:       d.name,
		Severity:   d.severity,
		FirstSeen:  at,
		LastSeen:   at.Add(g.dur(0, 10*time.Minute)),
		ReceivedAt: at.Add(g.delay()),
	}
	if d.stage != killchain.Unknown {
		a.Tactics = []killchain.Stage{d.stage}
	}
	if d.technique != "" {
		a.Techniques = []string{d.technique}
	}
	tags := map[string]string{"app": appOf(t.name), "env": envOf(t.name)}
	switch d.on {
	case onRole:
		a.Resources = []alert.Resource{{ID: t.role, Type: "AwsIamRole", Name: t.name + "-role", Region: "us-east-1", Account: t.account}}
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityAccount, Value: t.role})
		if e.key != "" {
			a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityAccessKey, Value: e.key})
		}
	case onBucket:
		a.Resources = []alert.Resource{{ID: t.bucket, Type: "AwsS3Bucket", Name: t.bucket, Region: "us-east-1", Account: t.account, Tags: tags}}
	default:
		a.Resources = []alert.Resource{{ID: t.instance, Type: "AwsEc2Instance", Name: t.name, Region: "us-east-1", Account: t.account, Tags: tags}}
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityIP, Value: t.privateIP})
	}
	if d.attacker && e.ip != "" {
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityIP, Value: e.ip})
	}
	if d.host {
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityHost, Value: t.host + ".ec2.internal"})
	}
	if d.pivot && pivot != nil {
		a.Entities = append(a.Entities,
			alert.Entity{Type: alert.EntityHost, Value: pivot.host},
			alert.Entity{Type: alert.EntityIP, Value: pivot.privateIP})
	}
	if d.hash && e.hash != "" {
		a.Entities = append(a.Entities, alert.Entity{Type: alert.EntityFileHash, Value: e.hash})
	}
	a.Entities = append(a.Entities, extra...)
	a.Finish(d.provider, a.ReceivedAt)
	return a
}

func (g *gen) emit(a *alert.Alert, label string) {
	g.out = append(g.out, a)
	g.labels[a.ID] = label
}

// delay is the delivery delay: mostly seconds to minutes, a tail of hours
// (or uniform up to MaxDelay when that is set).
func (g *gen) delay() time.Duration {
	if g.cfg.MaxDelay > 0 {
		return g.dur(0, g.cfg.MaxDelay)
	}
	switch r := g.rng.Float64(); {
	case r < 0.8:
		return g.dur(time.Second, 5*time.Minute)
	case r < 0.95:
		return g.dur(5*time.Minute, time.Hour)
	default:
		return g.dur(time.Hour, 6*time.Hour)
	}
}

func (g *gen) dur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

var (
	apps = []string{"web", "api", "batch", "db", "cache", "worker", "auth", "etl"}
	envs = []string{"prod", "staging", "dev"}
)

func appOf(name string) string {
	for _, a := range apps {
		if len(name) > len(a) && name[:len(a)] == a {
			return a
		}
	}
	return "app"
}

func envOf(name string) string {
	for _, e := range envs {
		for i := 0; i+len(e) <= len(name); i++ {
			if name[i:i+len(e)] == e {
				return e
			}
		}
	}
	return "prod"
}

// target makes a fresh workload with unique ids.
func (g *gen) target() target {
	for {
		ip := fmt.Sprintf("10.%d.%d.%d", 1+g.rng.IntN(250), g.rng.IntN(256), 1+g.rng.IntN(254))
		inst := "i-" + g.hex(17)
		if g.used[ip] || g.used[inst] {
			continue
		}
		g.used[ip], g.used[inst] = true, true
		app, env := pick(g.rng, apps), pick(g.rng, envs)
		name := fmt.Sprintf("%s-%s-%d", app, env, g.seq+len(g.used))
		return target{
			name:      name,
			instance:  inst,
			host:      "ip-" + dashes(ip),
			privateIP: ip,
			role:      fmt.Sprintf("arn:aws:iam::%s:role/%s", g.account, name),
			bucket:    "arn:aws:s3:::" + name + "-data",
			account:   g.account,
		}
	}
}

func dashes(ip string) string {
	b := []byte(ip)
	for i, c := range b {
		if c == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

// publicOctets are first octets of globally routable unicast space.
var publicOctets = []int{5, 23, 31, 45, 62, 77, 91, 103, 139, 146, 167, 176, 185, 193, 212}

// publicIP returns a fresh globally routable address.
func (g *gen) publicIP() string {
	for {
		a := netip.AddrFrom4([4]byte{byte(pick(g.rng, publicOctets)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
		if s := a.String(); !g.used[s] && alert.IsPublicIP(a) {
			g.used[s] = true
			return s
		}
	}
}

func (g *gen) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return hex.EncodeToString(b)[:n]
}

func (g *gen) upper(n int) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.rng.IntN(len(letters))]
	}
	return string(b)
}

// sourceID returns a unique sender id in the provider's own style.
func (g *gen) sourceID(provider string) string {
	u := fmt.Sprintf("%s%06x", g.hex(26), g.seq)
	switch provider {
	case alert.ProviderGuardDuty:
		return fmt.Sprintf("arn:aws:guardduty:us-east-1:%s:detector/%s/finding/%s", g.account, "12abc34d567e8fa901bc2d34e56789f0", u)
	case alert.ProviderSecurityHub:
		return fmt.Sprintf("arn:aws:securityhub:us-east-1:%s:finding/%s", g.account, u)
	case alert.ProviderDefender:
		return "2517" + u
	case alert.ProviderAlertmanager:
		return u[:10] + fmt.Sprintf("%06x", g.seq)
	case alert.ProviderFalco:
		return u[:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:]
	default:
		return "finding-" + u
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
