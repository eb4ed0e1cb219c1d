package normalize

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// gdEvent is a GuardDuty finding, bare or inside its EventBridge envelope
// (then Detail is set and the top-level finding fields are empty).
type gdEvent struct {
	DetailType string     `json:"detail-type"`
	Detail     *gdFinding `json:"detail"`
	gdFinding
}

type gdFinding struct {
	AccountID   string     `json:"accountId"`
	Region      string     `json:"region"`
	Partition   string     `json:"partition"`
	ID          string     `json:"id"`
	Arn         string     `json:"arn"`
	Type        string     `json:"type"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Severity    *float64   `json:"severity"`
	CreatedAt   string     `json:"createdAt"`
	UpdatedAt   string     `json:"updatedAt"`
	Resource    gdResource `json:"resource"`
	Service     gdService  `json:"service"`
}

type gdTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func gdTags(tags []gdTag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		if t.Key != "" {
			m[t.Key] = t.Value
		}
	}
	return m
}

type gdAccessKey struct {
	AccessKeyID string `json:"accessKeyId"`
	PrincipalID string `json:"principalId"`
	UserName    string `json:"userName"`
	UserType    string `json:"userType"`
}

type gdResource struct {
	ResourceType     string       `json:"resourceType"`
	AccessKeyDetails *gdAccessKey `json:"accessKeyDetails"`
	InstanceDetails  *struct {
		InstanceID         string `json:"instanceId"`
		AvailabilityZone   string `json:"availabilityZone"`
		IamInstanceProfile *struct {
			Arn string `json:"arn"`
		} `json:"iamInstanceProfile"`
		NetworkInterfaces []struct {
			PrivateDNSName     string `json:"privateDnsName"`
			PrivateIPAddress   string `json:"privateIpAddress"`
			PrivateIPAddresses []struct {
				PrivateDNSName   string `json:"privateDnsName"`
				PrivateIPAddress string `json:"privateIpAddress"`
			} `json:"privateIpAddresses"`
		} `json:"networkInterfaces"`
		Tags []gdTag `json:"tags"`
	} `json:"instanceDetails"`
	S3BucketDetails []struct {
		Arn  string  `json:"arn"`
		Name string  `json:"name"`
		Tags []gdTag `json:"tags"`
	} `json:"s3BucketDetails"`
	EksClusterDetails *gdCluster `json:"eksClusterDetails"`
	KubernetesDetails *struct {
		KubernetesUserDetails *struct {
			Username string `json:"username"`
		} `json:"kubernetesUserDetails"`
		KubernetesWorkloadDetails *struct {
			Name       string `json:"name"`
			Namespace  string `json:"namespace"`
			Containers []struct {
				Name  string `json:"name"`
				Image string `json:"image"`
			} `json:"containers"`
		} `json:"kubernetesWorkloadDetails"`
	} `json:"kubernetesDetails"`
	RdsDbInstanceDetails *struct {
		DbInstanceIdentifier string  `json:"dbInstanceIdentifier"`
		DbInstanceArn        string  `json:"dbInstanceArn"`
		Tags                 []gdTag `json:"tags"`
	} `json:"rdsDbInstanceDetails"`
	LambdaDetails *struct {
		FunctionName string  `json:"functionName"`
		FunctionArn  string  `json:"functionArn"`
		Tags         []gdTag `json:"tags"`
	} `json:"lambdaDetails"`
	EcsClusterDetails *gdCluster `json:"ecsClusterDetails"`
}

type gdCluster struct {
	Name string  `json:"name"`
	Arn  string  `json:"arn"`
	Tags []gdTag `json:"tags"`
}

type gdRemoteIP struct {
	IPAddressV4  string `json:"ipAddressV4"`
	IPAddressV6  string `json:"ipAddressV6"`
	Organization *struct {
		Asn flexString `json:"asn"`
	} `json:"organization"`
}

type gdService struct {
	Action struct {
		ActionType              string `json:"actionType"`
		NetworkConnectionAction *struct {
			RemoteIPDetails *gdRemoteIP `json:"remoteIpDetails"`
		} `json:"networkConnectionAction"`
		PortProbeAction *struct {
			PortProbeDetails []struct {
				RemoteIPDetails *gdRemoteIP `json:"remoteIpDetails"`
			} `json:"portProbeDetails"`
		} `json:"portProbeAction"`
		DNSRequestAction *struct {
			Domain string `json:"domain"`
		} `json:"dnsRequestAction"`
		AwsAPICallAction *struct {
			RemoteIPDetails *gdRemoteIP `json:"remoteIpDetails"`
			DomainDetails   *struct {
				Domain string `json:"domain"`
			} `json:"domainDetails"`
		} `json:"awsApiCallAction"`
		KubernetesAPICallAction *struct {
			RemoteIPDetails *gdRemoteIP `json:"remoteIpDetails"`
		} `json:"kubernetesApiCallAction"`
	} `json:"action"`
	AdditionalInfo *struct {
		Sample flexBool `json:"sample"`
	} `json:"additionalInfo"`
	Detection *struct {
		Sequence *struct {
			SequenceIndicators []struct {
				Key    string   `json:"key"`
				Values []string `json:"values"`
			} `json:"sequenceIndicators"`
		} `json:"sequence"`
	} `json:"detection"`
	RuntimeDetails *struct {
		Process *struct {
			Name             string `json:"name"`
			ExecutablePath   string `json:"executablePath"`
			ExecutableSha256 string `json:"executableSha256"`
		} `json:"process"`
	} `json:"runtimeDetails"`
	EbsVolumeScanDetails *struct {
		ScanDetections *struct {
			ThreatDetectedByName *struct {
				ThreatNames []struct {
					FilePaths []struct {
						Hash string `json:"hash"`
					} `json:"filePaths"`
				} `json:"threatNames"`
			} `json:"threatDetectedByName"`
		} `json:"scanDetections"`
	} `json:"ebsVolumeScanDetails"`
	EventFirstSeen string   `json:"eventFirstSeen"`
	EventLastSeen  string   `json:"eventLastSeen"`
	Archived       flexBool `json:"archived"`
	Count          int      `json:"count"`
}

func parseGuardDuty(c *collector, obj []byte) {
	var ev gdEvent
	if !c.read(obj, &ev) {
		return
	}
	f := &ev.gdFinding
	if ev.Detail != nil {
		if ev.DetailType != "" && ev.DetailType != DetailTypeGuardDuty {
			c.reject(alert.Invalid("detail-type", "must be %q", DetailTypeGuardDuty))
			return
		}
		f = ev.Detail
	}
	a, err := guardDutyAlert(f, c.receivedAt)
	c.result(a, err, obj)
}

// guardDutySeverity maps GuardDuty's 0–10 number: <4 Low, <7 Medium, <9
// High, ≥9 Critical.
func guardDutySeverity(v float64) alert.Severity {
	switch {
	case v < 4:
		return alert.Low
	case v < 7:
		return alert.Medium
	case v < 9:
		return alert.High
	}
	return alert.Critical
}

func guardDutyAlert(f *gdFinding, at time.Time) (*alert.Alert, error) {
	if f.Severity == nil {
		return nil, alert.Invalid("severity", "is required")
	}
	first, last, updated, err := sightings(at, timeField{"service.eventFirstSeen", f.Service.EventFirstSeen}, timeField{"createdAt", f.CreatedAt},
		timeField{"service.eventLastSeen", f.Service.EventLastSeen}, timeField{"updatedAt", f.UpdatedAt})
	if err != nil {
		return nil, err
	}
	a := &alert.Alert{
		Provider:    alert.ProviderGuardDuty,
		SourceID:    f.Arn,
		Type:        f.Type,
		Name:        f.Title,
		Description: f.Description,
		Severity:    guardDutySeverity(*f.Severity),
		Status:      alert.StatusActive,
		FirstSeen:   first,
		LastSeen:    last,
		UpdatedAt:   updated,
		Count:       f.Service.Count,
	}
	if a.SourceID == "" {
		a.SourceID = f.ID // a finding without its ARN: its id is still unique
	}
	if f.Service.Archived {
		a.Status = alert.StatusDismissed
	}
	if ai := f.Service.AdditionalInfo; ai != nil && ai.Sample {
		a.Name = "[Sample] " + a.Name
	}
	det := guardDutyDetection(f.Type)
	a.Tactics = append(a.Tactics, det.stages...)
	a.Techniques = append(a.Techniques, det.techniques...)
	if strings.HasPrefix(f.Type, "AttackSequence:") {
		a.SourceIncident = true
	}
	if dt := f.Service.Detection; dt != nil && dt.Sequence != nil {
		for _, ind := range dt.Sequence.SequenceIndicators {
			switch ind.Key {
			case "ATTACK_TACTIC":
				for _, v := range ind.Values {
					if s, ok := killchain.Parse(v); ok {
						a.Tactics = append(a.Tactics, s)
					}
				}
			case "ATTACK_TECHNIQUE":
				for _, v := range ind.Values {
					if techniqueID.MatchString(v) {
						a.Techniques = append(a.Techniques, v)
					}
				}
			}
		}
	}
	var es entities
	guardDutyResources(a, f, &es)
	guardDutyAction(f, &es)
	a.Entities = es
	return a, nil
}

// techniqueID matches an ATT&CK technique id, "T1234" or "T1234.567".
var techniqueID = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// instanceSession returns the instance id an assumed-role session is named
// after ("AROA…:i-0abc…" for instance-profile credentials), or "".
func instanceSession(principalID string) string {
	_, session, ok := strings.Cut(principalID, ":")
	if ok && strings.HasPrefix(session, "i-") && alert.CanonicalResourceID(session, "") == session {
		return session
	}
	return ""
}

// principalResource is the resource an access key's principal names: the
// instance its session is named after (instance-profile credentials: the
// instance is what is compromised), else the IAM user, role or root; none
// without a name.
func principalResource(account, principalID, userType, userName string) alert.Resource {
	if iid := instanceSession(principalID); iid != "" {
		return alert.Resource{ID: iid, Type: "AwsEc2Instance", Account: account}
	}
	switch {
	case userName == "":
		return alert.Resource{}
	case userType == "Root":
		return alert.Resource{ID: "arn:aws:iam::" + account + ":root", Type: "AwsAccount", Name: "root", Account: account}
	case userType == "AssumedRole" || userType == "Role":
		return alert.Resource{ID: "arn:aws:iam::" + account + ":role/" + userName, Type: "AwsIamRole", Name: userName, Account: account}
	}
	return alert.Resource{ID: "arn:aws:iam::" + account + ":user/" + userName, Type: "AwsIamUser", Name: userName, Account: account}
}

func guardDutyResources(a *alert.Alert, f *gdFinding, es *entities) {
	r := &f.Resource
	add := func(res alert.Resource) {
		if res.Region == "" {
			res.Region = f.Region
		}
		if res.Account == "" {
			res.Account = f.AccountID
		}
		a.Resources = append(a.Resources, res)
	}
	k := r.AccessKeyDetails
	in := r.InstanceDetails
	if in != nil && (r.ResourceType == "AccessKey" || r.ResourceType == "S3Bucket") && (k == nil || instanceSession(k.PrincipalID) != in.InstanceID) {
		in = nil // filler (sample findings fill it for every type), not the instance whose credentials were used
	}
	if in != nil && in.InstanceID != "" {
		tags := gdTags(in.Tags)
		add(alert.Resource{ID: in.InstanceID, Type: "AwsEc2Instance", Name: tags["Name"], Tags: tags})
		for _, ni := range in.NetworkInterfaces {
			es.add(alert.EntityHost, ni.PrivateDNSName)
			es.add(alert.EntityIP, ni.PrivateIPAddress)
			for _, p := range ni.PrivateIPAddresses {
				es.add(alert.EntityHost, p.PrivateDNSName)
			}
		}
	}
	for _, b := range r.S3BucketDetails {
		add(alert.Resource{ID: cmp.Or(b.Arn, b.Name), Type: "AwsS3Bucket", Name: b.Name, Tags: gdTags(b.Tags)})
	}
	if k := r.EksClusterDetails; k != nil && (k.Arn != "" || k.Name != "") {
		add(alert.Resource{ID: cmp.Or(k.Arn, k.Name), Type: "AwsEksCluster", Name: k.Name, Tags: gdTags(k.Tags)})
	}
	if k := r.KubernetesDetails; k != nil {
		if u := k.KubernetesUserDetails; u != nil {
			es.add(alert.EntityAccount, u.Username)
		}
		if w := k.KubernetesWorkloadDetails; w != nil {
			if w.Name != "" {
				es.add(alert.EntityPod, strings.TrimPrefix(w.Namespace+"/"+w.Name, "/"))
			}
			for _, ct := range w.Containers {
				es.add(alert.EntityContainer, ct.Name)
			}
		}
	}
	if db := r.RdsDbInstanceDetails; db != nil {
		add(alert.Resource{ID: cmp.Or(db.DbInstanceArn, db.DbInstanceIdentifier), Type: "AwsRdsDbInstance", Name: db.DbInstanceIdentifier, Tags: gdTags(db.Tags)})
	}
	if l := r.LambdaDetails; l != nil {
		add(alert.Resource{ID: cmp.Or(l.FunctionArn, l.FunctionName), Type: "AwsLambdaFunction", Name: l.FunctionName, Tags: gdTags(l.Tags)})
	}
	if e := r.EcsClusterDetails; e != nil {
		add(alert.Resource{ID: cmp.Or(e.Arn, e.Name), Type: "AwsEcsCluster", Name: e.Name, Tags: gdTags(e.Tags)})
	}
	lead := func(alert.Resource) bool { return false } // what leads the list: the primary resource
	if k != nil {
		es.add(alert.EntityAccessKey, k.AccessKeyID)
		es.add(alert.EntityAccount, k.UserName)
		p := principalResource(f.AccountID, k.PrincipalID, k.UserType, k.UserName)
		if p.ID != "" && r.ResourceType == "AccessKey" {
			lead = func(res alert.Resource) bool { return res.ID == p.ID }
		}
		if p.ID != "" && (len(a.Resources) == 0 || r.ResourceType == "AccessKey" && !slices.ContainsFunc(a.Resources, lead)) {
			add(p)
		}
	}
	if r.ResourceType == "S3Bucket" {
		lead = func(res alert.Resource) bool { return res.Type == "AwsS3Bucket" }
	}
	front := slices.DeleteFunc(slices.Clone(a.Resources), func(res alert.Resource) bool { return !lead(res) })
	a.Resources = append(front, slices.DeleteFunc(a.Resources, lead)...)
	if len(a.Resources) == 0 && f.AccountID != "" {
		// A finding about the account itself (or a resource type Muster
		// does not know): the account is the affected resource.
		add(alert.Resource{ID: "arn:aws:iam::" + f.AccountID + ":root", Type: "AwsAccount", Name: f.AccountID})
	}
}

func guardDutyAction(f *gdFinding, es *entities) {
	ip := func(r *gdRemoteIP) {
		if r != nil {
			es.add(alert.EntityIP, r.IPAddressV4)
			es.add(alert.EntityIP, r.IPAddressV6)
		}
	}
	act := &f.Service.Action
	if n := act.NetworkConnectionAction; n != nil {
		ip(n.RemoteIPDetails)
	}
	if p := act.PortProbeAction; p != nil {
		for _, d := range p.PortProbeDetails {
			ip(d.RemoteIPDetails)
		}
	}
	if d := act.DNSRequestAction; d != nil {
		es.add(alert.EntityDomain, d.Domain)
	}
	if c := act.AwsAPICallAction; c != nil {
		ip(c.RemoteIPDetails)
		if c.DomainDetails != nil {
			es.add(alert.EntityDomain, c.DomainDetails.Domain)
		}
	}
	if k := act.KubernetesAPICallAction; k != nil {
		ip(k.RemoteIPDetails)
	}
	if rt := f.Service.RuntimeDetails; rt != nil && rt.Process != nil {
		es.add(alert.EntityProcess, cmp.Or(rt.Process.ExecutablePath, rt.Process.Name))
		es.add(alert.EntityFileHash, rt.Process.ExecutableSha256)
	}
	if ebs := f.Service.EbsVolumeScanDetails; ebs != nil && ebs.ScanDetections != nil && ebs.ScanDetections.ThreatDetectedByName != nil {
		for _, tn := range ebs.ScanDetections.ThreatDetectedByName.ThreatNames {
			for _, fp := range tn.FilePaths {
				es.add(alert.EntityFileHash, fp.Hash)
			}
		}
	}
}
