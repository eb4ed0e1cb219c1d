package normalize

import (
	"cmp"
	"math"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// The OCSF classes Muster accepts: Detection Finding (OCSF 1.1 on), and
// Security Finding, its OCSF 1.0 predecessor (a finding object, attacks
// and state_id at the top).
const (
	OCSFDetectionFinding = 2004
	OCSFSecurityFinding  = 2001
)

type ocsfNamed struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

type ocsfEndpoint struct {
	IP       string `json:"ip"`
	Hostname string `json:"hostname"`
	Domain   string `json:"domain"`
	Name     string `json:"name"`
	UID      string `json:"uid"`
}

type ocsfAttack struct {
	Tactic       *ocsfNamed  `json:"tactic"`
	Tactics      []ocsfNamed `json:"tactics"`
	Technique    *ocsfNamed  `json:"technique"`
	SubTechnique *ocsfNamed  `json:"sub_technique"`
}

type ocsfInfo struct {
	UID           string       `json:"uid"`
	Title         string       `json:"title"`
	Desc          string       `json:"desc"`
	Types         []string     `json:"types"`
	FirstSeenTime *float64     `json:"first_seen_time"`
	LastSeenTime  *float64     `json:"last_seen_time"`
	Analytic      *ocsfNamed   `json:"analytic"`
	Attacks       []ocsfAttack `json:"attacks"`
}

type ocsfFinding struct {
	ClassUID    *int         `json:"class_uid"`
	Time        *float64     `json:"time"`
	SeverityID  *int         `json:"severity_id"`
	Severity    string       `json:"severity"`
	StatusID    int          `json:"status_id"`
	Status      string       `json:"status"`
	Message     string       `json:"message"`
	Count       int          `json:"count"`
	StateID     int          `json:"state_id"`
	State       string       `json:"state"`
	Attacks     []ocsfAttack `json:"attacks"`
	Finding     *ocsfInfo    `json:"finding"`
	FindingInfo *ocsfInfo    `json:"finding_info"`
	Metadata    *struct {
		UID          string   `json:"uid"`
		ModifiedTime *float64 `json:"modified_time"`
	} `json:"metadata"`
	Cloud *struct {
		Region     string     `json:"region"`
		Account    *ocsfNamed `json:"account"`
		AccountUID string     `json:"account_uid"` // OCSF 1.0
	} `json:"cloud"`
	Resources []struct {
		UID        string `json:"uid"`
		Name       string `json:"name"`
		Type       string `json:"type"`
		Region     string `json:"region"`
		AccountUID string `json:"account_uid"` // OCSF 1.0
		Owner      *struct {
			Account *ocsfNamed `json:"account"`
		} `json:"owner"`
		Tags []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"tags"`
	} `json:"resources"`
	Evidences []struct {
		SrcEndpoint *ocsfEndpoint `json:"src_endpoint"`
		DstEndpoint *ocsfEndpoint `json:"dst_endpoint"`
		Actor       *struct {
			User *ocsfNamed `json:"user"`
		} `json:"actor"`
		Process *struct {
			Name string `json:"name"`
			File *struct {
				Path   string `json:"path"`
				Hashes []struct {
					Value string `json:"value"`
				} `json:"hashes"`
			} `json:"file"`
		} `json:"process"`
		Query *struct {
			Hostname string `json:"hostname"`
		} `json:"query"`
		URL *struct {
			URLString string `json:"url_string"`
		} `json:"url"`
	} `json:"evidences"`
	Observables []struct {
		TypeID int    `json:"type_id"`
		Value  string `json:"value"`
	} `json:"observables"`
	Remediation *struct {
		Desc       string   `json:"desc"`
		References []string `json:"references"`
	} `json:"remediation"`
}

// ocsfSeverity: severity_id 1–5 → Informational…Critical, 6 (Fatal) →
// Critical, 0 (Unknown) → Informational, 99 (Other) → the severity caption,
// else Medium; without severity_id, the caption. ok is false for other ids
// and for no id with no usable caption.
func ocsfSeverity(id *int, caption string) (s alert.Severity, ok bool) {
	switch {
	case id == nil:
		return alert.ParseSeverity(caption)
	case *id == 99:
		s, _ = alert.ParseSeverity(caption)
		return cmp.Or(s, alert.Medium), true
	}
	s, ok = ocsfSeverities[*id]
	return s, ok
}

var ocsfSeverities = map[int]alert.Severity{0: alert.Informational, 1: alert.Informational, 2: alert.Low,
	3: alert.Medium, 4: alert.High, 5: alert.Critical, 6: alert.Critical}

// ocsfStatus: status_id 3 (Suppressed) → Dismissed, 4 (Resolved) →
// Resolved, otherwise Active.
func ocsfStatus(id int, caption string) alert.Status {
	switch {
	case id == 3 || strings.EqualFold(caption, "Suppressed"):
		return alert.StatusDismissed
	case id == 4 || strings.EqualFold(caption, "Resolved"):
		return alert.StatusResolved
	}
	return alert.StatusActive
}

// ocsfTime converts OCSF's timestamp_t (milliseconds since the epoch) of
// an alert received at receivedAt, and checks it like every alert time. A
// value that read as milliseconds falls before 2000 but read as seconds
// does not is taken as seconds, which some senders write.
func ocsfTime(field string, v float64, receivedAt time.Time) (time.Time, error) {
	earliestMillis := float64(earliest.UnixMilli())
	if v < earliestMillis && v*1000 >= earliestMillis {
		v *= 1000
	}
	if math.IsNaN(v) || v < 0 || v > 253402300799999 { // year 9999
		return time.Time{}, alert.Invalid(field, "must be epoch milliseconds")
	}
	t := time.UnixMilli(int64(v)).UTC()
	return t, checkTime(field, t, receivedAt)
}

func parseOCSF(c *collector, obj []byte) {
	var f ocsfFinding
	if !c.read(obj, &f) {
		return
	}
	if f.ClassUID == nil || (*f.ClassUID != OCSFDetectionFinding && *f.ClassUID != OCSFSecurityFinding) {
		c.reject(alert.Invalid("class_uid", "must be %d (Detection Finding) or %d (Security Finding, OCSF 1.0)", OCSFDetectionFinding, OCSFSecurityFinding))
		return
	}
	fi := cmp.Or(f.FindingInfo, f.Finding)
	if fi == nil {
		c.reject(alert.Invalid("finding_info", "is required (finding in OCSF 1.0)"))
		return
	}
	sev, ok := ocsfSeverity(f.SeverityID, f.Severity)
	if !ok {
		c.reject(alert.Invalid("severity_id", "must be 0-6 or 99"))
		return
	}
	ts, field := fi.FirstSeenTime, "finding_info.first_seen_time"
	if ts == nil {
		ts, field = f.Time, "time"
	}
	if ts == nil {
		c.reject(alert.Invalid("time", "is required"))
		return
	}
	first, err := ocsfTime(field, *ts, c.receivedAt)
	if err != nil {
		c.reject(err)
		return
	}
	a := &alert.Alert{
		Provider:    alert.ProviderOCSF,
		SourceID:    fi.UID,
		Name:        fi.Title,
		Description: cmp.Or(fi.Desc, f.Message),
		Severity:    sev,
		Status:      ocsfStatus(cmp.Or(f.StatusID, f.StateID), cmp.Or(f.Status, f.State)),
		FirstSeen:   first,
		Count:       f.Count,
	}
	if a.SourceID == "" && f.Metadata != nil {
		a.SourceID = f.Metadata.UID
	}
	if fi.LastSeenTime != nil {
		if a.LastSeen, err = ocsfTime("finding_info.last_seen_time", *fi.LastSeenTime, c.receivedAt); err != nil {
			c.reject(err)
			return
		}
	}
	if m := f.Metadata; m != nil && m.ModifiedTime != nil {
		// When the record was last modified (not an alert time): an
		// unusable value is left out rather than refused.
		if t, err := ocsfTime("metadata.modified_time", *m.ModifiedTime, c.receivedAt); err == nil {
			a.UpdatedAt = t
		}
	}
	switch {
	case len(fi.Types) > 0:
		a.Type = fi.Types[0]
	case fi.Analytic != nil && cmp.Or(fi.Analytic.Name, fi.Analytic.UID) != "":
		a.Type = cmp.Or(fi.Analytic.Name, fi.Analytic.UID)
	default:
		a.Type = fi.Title
	}
	ocsfAttacks(a, append(fi.Attacks, f.Attacks...))
	a.Resources = ocsfResources(&f)
	a.Entities = ocsfEntities(&f)
	if r := f.Remediation; r != nil {
		if r.Desc != "" {
			a.RemediationSteps = append(a.RemediationSteps, r.Desc)
		}
		for _, ref := range r.References {
			a.RemediationSteps = append(a.RemediationSteps, "See "+ref)
		}
	}
	c.add(a, obj)
}

// ocsfAttacks reads stages (by tactic name, else TA id) and technique ids.
func ocsfAttacks(a *alert.Alert, attacks []ocsfAttack) {
	tactic := func(n *ocsfNamed) {
		if n == nil {
			return
		}
		if s, ok := killchain.Parse(n.Name); ok {
			a.Tactics = append(a.Tactics, s)
		} else if s, ok := killchain.Parse(n.UID); ok {
			a.Tactics = append(a.Tactics, s)
		}
	}
	for _, at := range attacks {
		tactic(at.Tactic)
		for i := range at.Tactics {
			tactic(&at.Tactics[i])
		}
		if at.Technique != nil && at.Technique.UID != "" {
			a.Techniques = append(a.Techniques, at.Technique.UID)
		}
		if at.SubTechnique != nil && at.SubTechnique.UID != "" {
			a.Techniques = append(a.Techniques, at.SubTechnique.UID)
		}
	}
}

// ocsfResources reads the affected resources; the cloud's region and
// account are the defaults.
func ocsfResources(f *ocsfFinding) []alert.Resource {
	var out []alert.Resource
	region, account := "", ""
	if f.Cloud != nil {
		region, account = f.Cloud.Region, f.Cloud.AccountUID
		if f.Cloud.Account != nil {
			account = f.Cloud.Account.UID
		}
	}
	for _, r := range f.Resources {
		res := alert.Resource{ID: cmp.Or(r.UID, r.Name), Type: r.Type, Name: r.Name, Region: cmp.Or(r.Region, region), Account: cmp.Or(r.AccountUID, account)}
		if r.Owner != nil && r.Owner.Account != nil && r.Owner.Account.UID != "" {
			res.Account = r.Owner.Account.UID
		}
		for _, t := range r.Tags {
			if res.Tags == nil {
				res.Tags = map[string]string{}
			}
			res.Tags[t.Name] = t.Value
		}
		out = append(out, res)
	}
	return out
}

// ocsfEntities reads entities from the evidences and the observables.
func ocsfEntities(f *ocsfFinding) entities {
	var es entities
	ep := func(e *ocsfEndpoint) {
		if e != nil {
			es.add(alert.EntityIP, e.IP)
			es.add(alert.EntityHost, e.Hostname)
			es.add(alert.EntityDomain, e.Domain)
		}
	}
	for _, ev := range f.Evidences {
		ep(ev.SrcEndpoint)
		ep(ev.DstEndpoint)
		if ev.Actor != nil && ev.Actor.User != nil {
			es.add(alert.EntityAccount, cmp.Or(ev.Actor.User.Name, ev.Actor.User.UID))
		}
		if p := ev.Process; p != nil {
			path := p.Name
			if p.File != nil {
				path = cmp.Or(p.File.Path, path)
				for _, h := range p.File.Hashes {
					es.add(alert.EntityFileHash, h.Value)
				}
			}
			es.add(alert.EntityProcess, path)
		}
		if ev.Query != nil {
			es.add(alert.EntityDomain, ev.Query.Hostname)
		}
		if ev.URL != nil {
			es.add(alert.EntityURL, ev.URL.URLString)
		}
	}
	for _, o := range f.Observables {
		if t, ok := observableTypes[o.TypeID]; ok {
			es.add(t, o.Value)
		}
	}
	return es
}

// observableTypes maps OCSF observable type ids to entity types.
var observableTypes = map[int]alert.EntityType{1: alert.EntityHost, 2: alert.EntityIP, 4: alert.EntityAccount,
	6: alert.EntityURL, 8: alert.EntityFileHash, 9: alert.EntityProcess}
