package normalize

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/writeback"
)

// asffUnit is the top level of a Security Hub request item: an EventBridge
// envelope, a BatchImportFindings body ({"Findings": […]}), or one finding.
type asffUnit struct {
	DetailType string `json:"detail-type"`
	Detail     *struct {
		Findings []jsontext.Value `json:"findings"`
	} `json:"detail"`
	Findings []jsontext.Value `json:"Findings"`
}

type asffIP struct {
	IPAddressV4 string `json:"IpAddressV4"`
}

type asffFinding struct {
	ID              string   `json:"Id"`
	ProductArn      string   `json:"ProductArn"`
	ProductName     string   `json:"ProductName"`
	GeneratorID     string   `json:"GeneratorId"`
	AwsAccountID    string   `json:"AwsAccountId"`
	Region          string   `json:"Region"`
	Types           []string `json:"Types"`
	FirstObservedAt string   `json:"FirstObservedAt"`
	LastObservedAt  string   `json:"LastObservedAt"`
	CreatedAt       string   `json:"CreatedAt"`
	UpdatedAt       string   `json:"UpdatedAt"`
	Severity        *struct {
		Label      string   `json:"Label"`
		Normalized *float64 `json:"Normalized"`
	} `json:"Severity"`
	Title       string `json:"Title"`
	Description string `json:"Description"`
	Remediation *struct {
		Recommendation *struct {
			Text string `json:"Text"`
			URL  string `json:"Url"`
		} `json:"Recommendation"`
	} `json:"Remediation"`
	ProductFields map[string]flexString `json:"ProductFields"`
	Resources     []struct {
		Type    string            `json:"Type"`
		ID      string            `json:"Id"`
		Region  string            `json:"Region"`
		Tags    map[string]string `json:"Tags"`
		Details *struct {
			AwsIamAccessKey *struct {
				PrincipalID   string `json:"PrincipalId"`
				PrincipalName string `json:"PrincipalName"`
				PrincipalType string `json:"PrincipalType"`
				AccessKeyID   string `json:"AccessKeyId"`
			} `json:"AwsIamAccessKey"`
			AwsIamUser *struct {
				UserName string `json:"UserName"`
			} `json:"AwsIamUser"`
			AwsIamRole *struct {
				RoleName string `json:"RoleName"`
			} `json:"AwsIamRole"`
		} `json:"Details"`
	} `json:"Resources"`
	Network *struct {
		SourceIPV4        string `json:"SourceIpV4"`
		SourceIPV6        string `json:"SourceIpV6"`
		SourceDomain      string `json:"SourceDomain"`
		DestinationIPV4   string `json:"DestinationIpV4"`
		DestinationIPV6   string `json:"DestinationIpV6"`
		DestinationDomain string `json:"DestinationDomain"`
	} `json:"Network"`
	Action *struct {
		NetworkConnectionAction *struct {
			RemoteIPDetails *asffIP `json:"RemoteIpDetails"`
		} `json:"NetworkConnectionAction"`
		AwsAPICallAction *struct {
			RemoteIPDetails *asffIP `json:"RemoteIpDetails"`
			DomainDetails   *struct {
				Domain string `json:"Domain"`
			} `json:"DomainDetails"`
		} `json:"AwsApiCallAction"`
		DNSRequestAction *struct {
			Domain string `json:"Domain"`
		} `json:"DnsRequestAction"`
		PortProbeAction *struct {
			PortProbeDetails []struct {
				RemoteIPDetails *asffIP `json:"RemoteIpDetails"`
			} `json:"PortProbeDetails"`
		} `json:"PortProbeAction"`
	} `json:"Action"`
	Process *struct {
		Name string `json:"Name"`
		Path string `json:"Path"`
	} `json:"Process"`
	Malware []struct {
		Name string `json:"Name"`
		Path string `json:"Path"`
	} `json:"Malware"`
	ThreatIntelIndicators []struct {
		Type  string `json:"Type"`
		Value string `json:"Value"`
	} `json:"ThreatIntelIndicators"`
	Workflow *struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	Note *struct {
		Text      string `json:"Text"`
		UpdatedBy string `json:"UpdatedBy"`
	} `json:"Note"`
	WorkflowState string   `json:"WorkflowState"`
	RecordState   string   `json:"RecordState"`
	Sample        flexBool `json:"Sample"`
}

// parseSecurityHub reads an EventBridge event (its one finding keeps the
// whole event as raw copy), a BatchImportFindings body or one finding.
func parseSecurityHub(c *collector, obj []byte) {
	var u asffUnit
	if !c.read(obj, &u) {
		return
	}
	findings := u.Findings
	switch {
	case u.Detail != nil && u.DetailType != "" && !slices.Contains(c.src.DetailTypes, u.DetailType):
		c.reject(alert.Invalid("detail-type", "must be %q or %q", DetailTypeSecurityHub, DetailTypeSecurityHubAction))
		return
	case u.Detail != nil && len(u.Detail.Findings) == 0:
		c.reject(alert.Invalid("detail.findings", "at least one finding is required"))
		return
	case u.Detail != nil && len(u.Detail.Findings) == 1:
		securityHubFinding(c, u.Detail.Findings[0], obj)
		return
	case u.Detail != nil:
		findings = u.Detail.Findings
	case u.Findings == nil:
		securityHubFinding(c, obj, obj) // a bare finding
		return
	}
	for _, f := range findings {
		if c.full() {
			return
		}
		securityHubFinding(c, f, f)
	}
}

// securityHubFinding normalises the finding item; raw is its audit copy.
func securityHubFinding(c *collector, item, raw []byte) {
	var f asffFinding
	if !c.read(item, &f) {
		return
	}
	a, err := securityHubAlert(&f, c.receivedAt)
	c.result(a, err, raw)
}

// asffSeverity maps Severity.Label, else Severity.Normalized.
func asffSeverity(label string, normalized *float64) alert.Severity {
	if s, ok := alert.ParseSeverity(label); ok || normalized == nil {
		return s
	}
	switch n := *normalized; {
	case n < 0 || n > 100:
		return 0
	case n < 1:
		return alert.Informational
	case n < 40:
		return alert.Low
	case n < 70:
		return alert.Medium
	case n < 90:
		return alert.High
	}
	return alert.Critical
}

// asffStatus: Workflow.Status SUPPRESSED → Dismissed; RESOLVED or
// RecordState ARCHIVED → Resolved; otherwise Active. The deprecated
// WorkflowState is read when Workflow is absent.
func asffStatus(f *asffFinding) alert.Status {
	ws := f.WorkflowState
	if f.Workflow != nil && f.Workflow.Status != "" {
		ws = f.Workflow.Status
	}
	switch strings.ToUpper(ws) {
	case "SUPPRESSED", "DEFERRED":
		return alert.StatusDismissed
	case "RESOLVED":
		return alert.StatusResolved
	}
	if strings.EqualFold(f.RecordState, "ARCHIVED") {
		return alert.StatusResolved
	}
	return alert.StatusActive
}

// asffTactics reads TTPs/<Tactic>/… and Effects/Data Exfiltration.
func asffTactics(types []string) []killchain.Stage {
	var out []killchain.Stage
	for _, t := range types {
		parts := strings.Split(t, "/")
		switch {
		case len(parts) >= 2 && strings.EqualFold(parts[0], "TTPs"):
			if s, ok := killchain.Parse(parts[1]); ok {
				out = append(out, s)
			}
		case len(parts) >= 2 && strings.EqualFold(parts[0], "Effects") && strings.EqualFold(parts[1], "Data Exfiltration"):
			out = append(out, killchain.Exfiltration)
		}
	}
	return out
}

// guardDutyTypeFromASFF recovers "UnauthorizedAccess:EC2/SSHBruteForce" from
// the ASFF type "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce".
func guardDutyTypeFromASFF(types []string) string {
	for _, t := range types {
		last := t[strings.LastIndexByte(t, '/')+1:]
		purpose, rest, ok := strings.Cut(last, ":")
		if !ok || purpose == "" {
			continue
		}
		if i := strings.IndexByte(rest, '-'); i > 0 {
			return purpose + ":" + rest[:i] + "/" + rest[i+1:]
		}
	}
	return ""
}

func securityHubAlert(f *asffFinding, at time.Time) (*alert.Alert, error) {
	first, last, updated, err := sightings(at, timeField{"FirstObservedAt", f.FirstObservedAt}, timeField{"CreatedAt", f.CreatedAt},
		timeField{"LastObservedAt", f.LastObservedAt}, timeField{"UpdatedAt", f.UpdatedAt})
	if err != nil {
		return nil, err
	}
	var sev alert.Severity
	if f.Severity != nil {
		sev = asffSeverity(f.Severity.Label, f.Severity.Normalized)
	}
	if sev == 0 {
		return nil, alert.Invalid("Severity", "Label or Normalized (0-100) is required")
	}
	a := &alert.Alert{
		Provider:    alert.ProviderSecurityHub,
		SourceID:    f.ID,
		Type:        asffType(f),
		Name:        f.Title,
		Description: f.Description,
		Severity:    sev,
		Status:      asffStatus(f),
		Tactics:     asffTactics(f.Types),
		FirstSeen:   first,
		LastSeen:    last,
		UpdatedAt:   updated,
		StatusEcho:  f.Workflow != nil && f.Note != nil && writeback.IsEcho(f.Note.UpdatedBy, f.Note.Text, f.Workflow.Status),
	}
	if f.Sample {
		a.Name = "[Sample] " + a.Name
	}
	guardDuty := isGuardDutyCopy(f)
	if guardDuty {
		guardDutyCopy(a, f)
	}
	if r := f.Remediation; r != nil && r.Recommendation != nil {
		step := r.Recommendation.Text
		if u := r.Recommendation.URL; u != "" {
			step = strings.TrimSpace(step + " " + u)
		}
		if step != "" {
			a.RemediationSteps = []string{step}
		}
	}
	var es entities
	a.Resources = asffResources(f, &es, guardDuty)
	asffEntities(f, &es)
	a.Entities = es
	return a, nil
}

// withoutKeyPrincipals drops the resources that stand for an access key's
// principal (fromKey[i]) when there is any other resource.
func withoutKeyPrincipals(rs []alert.Resource, fromKey []bool) []alert.Resource {
	if !slices.Contains(fromKey, false) {
		return rs
	}
	out := rs[:0]
	for i, r := range rs {
		if !fromKey[i] {
			out = append(out, r)
		}
	}
	return out
}

// isGuardDutyCopy reports whether f is GuardDuty's own finding as Security
// Hub imported it.
func isGuardDutyCopy(f *asffFinding) bool {
	return strings.HasSuffix(f.ProductArn, "product/aws/guardduty")
}

// guardDutyCopy makes the alert of a Security Hub copy of a GuardDuty
// finding the alert the GuardDuty finding itself gives, for every field
// both carry, so that the stored alert does not depend on which of the two
// arrives first (Merge folds one into the other):
//   - Provider is guardduty, so the id, GET /alerts?provider=, the
//     incident's sources and provider suppression rules are the same. That
//     it came through Security Hub shows only in its raw payload.
//   - Type, tactics and techniques come from the GuardDuty type recovered
//     from Types, through the GuardDuty catalogue alone (Security Hub's
//     TTPs/ prefix for a type may name another stage than the catalogue);
//     an AttackSequence type is a source incident.
//   - Count is aws/guardduty/service/count.
//   - An archived finding (aws/guardduty/service/archived) is Dismissed, as
//     GuardDuty's archived flag makes it, before Workflow.Status and
//     RecordState are read: Security Hub archives the record of an
//     archived finding (RecordState ARCHIVED), which alone means Resolved.
//
// Severity needs nothing: Security Hub labels GuardDuty's 0–10 severity
// with the bands guardDutySeverity uses.
func guardDutyCopy(a *alert.Alert, f *asffFinding) {
	a.Provider = alert.ProviderGuardDuty
	if gt := guardDutyTypeFromASFF(f.Types); gt != "" {
		a.Type = gt
		det := guardDutyDetection(gt)
		a.Tactics = append([]killchain.Stage(nil), det.stages...)
		a.Techniques = append(a.Techniques, det.techniques...)
		a.SourceIncident = strings.HasPrefix(gt, "AttackSequence:")
	}
	if n, err := strconv.Atoi(string(f.ProductFields["aws/guardduty/service/count"])); err == nil {
		a.Count = n
	}
	if strings.EqualFold(string(f.ProductFields["aws/guardduty/service/archived"]), "true") {
		a.Status = alert.StatusDismissed
	}
}

// asffType is the detection type of a finding that is not a GuardDuty
// copy: the GeneratorId when it names a rule or control (it holds a "/" or
// ":"), else the first of Types, else the GeneratorId.
func asffType(f *asffFinding) string {
	if strings.ContainsAny(f.GeneratorID, "/:") || len(f.Types) == 0 {
		return f.GeneratorID
	}
	return f.Types[0]
}

// asffResources reads the resources of f and the entities they name. An
// access key's principal (or the instance its session belongs to) stands
// for the key.
func asffResources(f *asffFinding, es *entities, guardDuty bool) []alert.Resource {
	var out []alert.Resource
	var fromKey []bool // per resource: it stands for an access key's principal
	for _, r := range f.Resources {
		res := alert.Resource{ID: r.ID, Type: r.Type, Region: cmp.Or(r.Region, f.Region), Account: f.AwsAccountID, Tags: r.Tags}
		res.Name = r.Tags["Name"]
		keyPrincipal := false
		if d := r.Details; d != nil {
			if k := d.AwsIamAccessKey; k != nil {
				es.add(alert.EntityAccessKey, cmp.Or(k.AccessKeyID, strings.TrimPrefix(r.ID, "AWS::IAM::AccessKey:")))
				es.add(alert.EntityAccount, k.PrincipalName)
				if p := principalResource(f.AwsAccountID, k.PrincipalID, k.PrincipalType, k.PrincipalName); p.ID != "" {
					res, keyPrincipal = p, true
					res.Region = cmp.Or(r.Region, f.Region)
				}
			}
			if u := d.AwsIamUser; u != nil {
				es.add(alert.EntityAccount, u.UserName)
				res.Name = cmp.Or(res.Name, u.UserName)
			}
			if ro := d.AwsIamRole; ro != nil {
				es.add(alert.EntityAccount, ro.RoleName)
				res.Name = cmp.Or(res.Name, ro.RoleName)
			}
		}
		out = append(out, res)
		fromKey = append(fromKey, keyPrincipal)
	}
	if guardDuty {
		// GuardDuty names an access key's principal (or the instance its
		// session belongs to) as the affected resource only when the
		// finding has no other resource.
		out = withoutKeyPrincipals(out, fromKey)
	}
	return out
}

// asffEntities reads the network, action, process and threat-intelligence
// entities of f.
func asffEntities(f *asffFinding, es *entities) {
	if n := f.Network; n != nil {
		es.add(alert.EntityIP, n.SourceIPV4)
		es.add(alert.EntityIP, n.SourceIPV6)
		es.add(alert.EntityIP, n.DestinationIPV4)
		es.add(alert.EntityIP, n.DestinationIPV6)
		es.add(alert.EntityDomain, n.SourceDomain)
		es.add(alert.EntityDomain, n.DestinationDomain)
	}
	if act := f.Action; act != nil {
		ip := func(r *asffIP) {
			if r != nil {
				es.add(alert.EntityIP, r.IPAddressV4)
			}
		}
		if n := act.NetworkConnectionAction; n != nil {
			ip(n.RemoteIPDetails)
		}
		if c := act.AwsAPICallAction; c != nil {
			ip(c.RemoteIPDetails)
			if c.DomainDetails != nil {
				es.add(alert.EntityDomain, c.DomainDetails.Domain)
			}
		}
		if d := act.DNSRequestAction; d != nil {
			es.add(alert.EntityDomain, d.Domain)
		}
		if p := act.PortProbeAction; p != nil {
			for _, d := range p.PortProbeDetails {
				ip(d.RemoteIPDetails)
			}
		}
	}
	if p := f.Process; p != nil {
		es.add(alert.EntityProcess, cmp.Or(p.Path, p.Name))
	}
	for _, t := range f.ThreatIntelIndicators {
		switch strings.ToUpper(t.Type) {
		case "IPV4_ADDRESS", "IPV6_ADDRESS":
			es.add(alert.EntityIP, t.Value)
		case "DOMAIN":
			es.add(alert.EntityDomain, t.Value)
		case "URL":
			es.add(alert.EntityURL, t.Value)
		case "HASH_MD5", "HASH_SHA1", "HASH_SHA256", "HASH_SHA512":
			es.add(alert.EntityFileHash, t.Value)
		case "PROCESS":
			es.add(alert.EntityProcess, t.Value)
		}
	}
}
