package normalize

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// falcoEvent is Falco's JSON output (json_output: true) and the payload
// falcosidekick posts to webhooks (the same fields plus uuid).
type falcoEvent struct {
	UUID         string                `json:"uuid"`
	Output       string                `json:"output"`
	Priority     string                `json:"priority"`
	Rule         string                `json:"rule"`
	Time         string                `json:"time"`
	Source       string                `json:"source"`
	Hostname     string                `json:"hostname"`
	Tags         []string              `json:"tags"`
	OutputFields map[string]flexString `json:"output_fields"`
}

// falcoSeverity: Emergency/Alert/Critical → Critical, Error → High,
// Warning → Medium, Notice → Low, others Informational.
func falcoSeverity(p string) alert.Severity {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "emergency", "alert", "critical":
		return alert.Critical
	case "error":
		return alert.High
	case "warning":
		return alert.Medium
	case "notice":
		return alert.Low
	}
	return alert.Informational
}

func parseFalco(c *collector, obj []byte) {
	var e falcoEvent
	if !c.read(obj, &e) {
		return
	}
	if e.Rule == "" {
		c.reject(alert.Invalid("rule", "is required"))
		return
	}
	if e.Priority == "" {
		c.reject(alert.Invalid("priority", "is required"))
		return
	}
	t, err := parseTime("time", e.Time, c.receivedAt)
	if err != nil {
		c.reject(err)
		return
	}
	of := e.OutputFields
	a := &alert.Alert{
		Provider:    alert.ProviderFalco,
		SourceID:    e.UUID,
		Type:        e.Rule,
		Name:        e.Rule,
		Description: alert.Truncate(e.Output, alert.MaxDescriptionLen),
		Severity:    falcoSeverity(e.Priority),
		Status:      alert.StatusActive,
		FirstSeen:   t,
	}
	if a.SourceID == "" {
		// Falco itself gives no id: the rule, host, time and output
		// identify one event.
		h := sha256.Sum256([]byte(e.Rule + "\x00" + e.Hostname + "\x00" + e.Time + "\x00" + e.Output))
		a.SourceID = hex.EncodeToString(h[:16])
	}
	for _, tag := range e.Tags {
		tag = strings.TrimSpace(tag)
		switch {
		case strings.HasPrefix(strings.ToLower(tag), "mitre_"):
			if s, ok := killchain.Parse(tag); ok {
				a.Tactics = append(a.Tactics, s)
			}
		case techniqueID.MatchString(tag):
			a.Techniques = append(a.Techniques, tag)
		}
	}
	host := cmp.Or(e.Hostname, string(of["host.name"]))
	pod := string(of["k8s.pod.name"])
	ns := string(of["k8s.ns.name"])
	ctr := string(of["container.id"])
	// falcosidekick's customfields (or Falco's append_output) can stamp the
	// cloud instance id on every event; then the instance is the resource.
	instance := cmp.Or(string(of["instance_id"]), string(of["cloud.instance_id"]), string(of["aws.instance_id"]))
	switch {
	case instance != "":
		a.Resources = []alert.Resource{{ID: instance}}
	case host != "":
		a.Resources = []alert.Resource{{ID: host, Type: "Host", Name: alert.ShortHost(host)}}
	case pod != "":
		id := strings.TrimPrefix(ns+"/"+pod, "/")
		a.Resources = []alert.Resource{{ID: id, Type: "KubernetesPod", Name: id}}
	case ctr != "" && ctr != "host":
		a.Resources = []alert.Resource{{ID: ctr, Type: "Container", Name: string(of["container.name"])}}
	default:
		c.reject(alert.Invalid("hostname", "is required (or output_fields k8s.pod.name / container.id)"))
		return
	}
	var es entities
	es.add(alert.EntityHost, host)
	es.add(alert.EntityProcess, cmp.Or(string(of["proc.exepath"]), string(of["proc.name"])))
	if ctr != "" && ctr != "host" {
		es.add(alert.EntityContainer, ctr)
	}
	if pod != "" {
		es.add(alert.EntityPod, strings.TrimPrefix(ns+"/"+pod, "/"))
	}
	if u := string(of["user.name"]); u != "" {
		es.add(alert.EntityAccount, localUser(u, host))
	}
	for _, k := range []string{"fd.sip", "fd.rip", "fd.cip", "fd.lip"} {
		es.add(alert.EntityIP, string(of[k]))
	}
	es.add(alert.EntityDomain, string(of["fd.sip.name"]))
	es.add(alert.EntityFileHash, string(of["proc.exe_sha256"]))
	a.Entities = es
	c.add(a, obj)
}
