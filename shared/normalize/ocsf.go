package normalize

import (
	"math"
	"strings"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// OCSFDetectionFinding is the OCSF class_uid Muster accepts.
const OCSFDetectionFinding = 2004

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

type ocsfFinding struct {
	ClassUID    *int     `json:"class_uid"`
	Time        *float64 `json:"time"`
	SeverityID  *int     `json:"severity_id"`
	Severity    string   `json:"severity"`
	StatusID    int      `json:"status_id"`
	Status      string   `json:"status"`
	Message     string   `json:"message"`
	Count       int      `json:"count"`
	FindingInfo *struct {
		UID           string   `json:"uid"`
		Title         string   `json:"title"`
		Desc          string   `json:"desc"`
		Types         []string `json:"types"`
		FirstSeenTime *float64 `json:"first_seen_time"`
		LastSeenTime  *float64 `json:"last_seen_time"`
		Analytic      *struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"analytic"`
		Attacks []ocsfAttack `json:"attacks"`
	} `json:"finding_info"`
	Metadata *struct {
		UID          string   `json:"uid"`
		ModifiedTime *float64 `json:"modified_time"`
	} `json:"metadata"`
	Cloud *struct {
		Region  string     `json:"region"`
		Account *ocsfNamed `json:"account"`
	} `json:"cloud"`
	Resources []struct {
		UID    string `json:"uid"`
		Name   string `json:"name"`
		Type   string `json:"type"`
		Region string `json:"region"`
		Owner  *struct {
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
// Critical; 0 (Unknown) and 99 (Other) fall back to the severity caption.
func ocsfSeverity(id *int, caption string) alert.Severity {
	if id != nil && *id >= 1 && *id <= 5 {
		return alert.Severity(*id)
	}
	if id != nil && *id == 6 {
		return alert.Critical
	}
	if s, ok := alert.ParseSeverity(caption); ok {
		return s
	}
	return 0
}

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

// epochMillis converts OCSF's timestamp_t (milliseconds since the epoch).
func epochMillis(v float64) (time.Time, bool) {
	if math.IsNaN(v) || v < 0 || v > 253402300799999 { // year 9999
		return time.Time{}, false
	}
	ms := int64(v)
	return time.UnixMilli(ms).UTC(), true
}

func parseOCSF(c *collector, obj []byte) {
	var f ocsfFinding
	if err := c.decode(obj, &f); err != nil {
		c.reject(err)
		return
	}
	if f.ClassUID == nil || *f.ClassUID != OCSFDetectionFinding {
		c.reject(alert.Invalid("class_uid", "must be %d (Detection Finding)", OCSFDetectionFinding))
		return
	}
	fi := f.FindingInfo
	if fi == nil {
		c.reject(alert.Invalid("finding_info", "is required"))
		return
	}
	sev := ocsfSeverity(f.SeverityID, f.Severity)
	if sev == 0 {
		c.reject(alert.Invalid("severity_id", "must be 1-6"))
		return
	}
	ts := fi.FirstSeenTime
	if ts == nil {
		ts = f.Time
	}
	if ts == nil {
		c.reject(alert.Invalid("time", "is required"))
		return
	}
	first, ok := epochMillis(*ts)
	if !ok {
		c.reject(alert.Invalid("time", "must be epoch milliseconds"))
		return
	}
	a := &alert.Alert{
		Provider:    alert.ProviderOCSF,
		SourceID:    fi.UID,
		Name:        fi.Title,
		Description: firstNonEmpty(fi.Desc, f.Message),
		Severity:    sev,
		Status:      ocsfStatus(f.StatusID, f.Status),
		FirstSeen:   first,
		Count:       f.Count,
	}
	if a.SourceID == "" && f.Metadata != nil {
		a.SourceID = f.Metadata.UID
	}
	if fi.LastSeenTime != nil {
		if t, ok := epochMillis(*fi.LastSeenTime); ok {
			a.LastSeen = t
		}
	}
	if m := f.Metadata; m != nil && m.ModifiedTime != nil {
		// When the record was last modified; like last_seen_time, an
		// unusable value is left out rather than refused.
		if t, ok := epochMillis(*m.ModifiedTime); ok {
			a.UpdatedAt = t
		}
	}
	switch {
	case len(fi.Types) > 0:
		a.Type = fi.Types[0]
	case fi.Analytic != nil && firstNonEmpty(fi.Analytic.Name, fi.Analytic.UID) != "":
		a.Type = firstNonEmpty(fi.Analytic.Name, fi.Analytic.UID)
	default:
		a.Type = fi.Title
	}
	ocsfAttacks(a, fi.Attacks)
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
		region = f.Cloud.Region
		if f.Cloud.Account != nil {
			account = f.Cloud.Account.UID
		}
	}
	for _, r := range f.Resources {
		res := alert.Resource{ID: firstNonEmpty(r.UID, r.Name), Type: r.Type, Name: r.Name, Region: firstNonEmpty(r.Region, region), Account: account}
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
			es.add(alert.EntityAccount, firstNonEmpty(ev.Actor.User.Name, ev.Actor.User.UID))
		}
		if p := ev.Process; p != nil {
			path := p.Name
			if p.File != nil {
				path = firstNonEmpty(p.File.Path, path)
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
		switch o.TypeID {
		case 1:
			es.add(alert.EntityHost, o.Value)
		case 2:
			es.add(alert.EntityIP, o.Value)
		case 4:
			es.add(alert.EntityAccount, o.Value)
		case 6:
			es.add(alert.EntityURL, o.Value)
		case 8:
			es.add(alert.EntityFileHash, o.Value)
		case 9:
			es.add(alert.EntityProcess, o.Value)
		}
	}
	return es
}
