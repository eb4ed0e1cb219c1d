package normalize

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// amUnit is an Alertmanager webhook payload (version 4: a group with
// alerts[]) or one bare alert (labels at the top level).
type amUnit struct {
	Version string            `json:"version"`
	Alerts  []jsontext.Value  `json:"alerts"`
	Labels  map[string]string `json:"labels"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func parseAlertmanager(c *collector, obj []byte) {
	var u amUnit
	if !c.read(obj, &u) {
		return
	}
	if u.Labels != nil || u.Alerts == nil {
		alertmanagerAlert(c, obj)
		return
	}
	if len(u.Alerts) == 0 {
		c.reject(alert.Invalid("alerts", "at least one alert is required"))
		return
	}
	for _, raw := range u.Alerts {
		if c.full() {
			return
		}
		alertmanagerAlert(c, raw)
	}
}

// alertmanagerSeverity maps the severity label; a missing or unrecognised
// label is Medium (the alert is kept, not lost).
func alertmanagerSeverity(v string) alert.Severity {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "critical", "fatal", "emergency", "page":
		return alert.Critical
	case "high", "error", "major":
		return alert.High
	case "warning", "warn", "medium", "minor":
		return alert.Medium
	case "low":
		return alert.Low
	case "info", "informational", "none", "notice":
		return alert.Informational
	}
	return alert.Medium
}

// labelFingerprint stands in for a missing fingerprint: a hash of the
// sorted label set, as Alertmanager's own fingerprint is.
func labelFingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + labels[k] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// stripPort turns "10.0.1.25:9100" into "10.0.1.25" and "web:9100" into
// "web".
func stripPort(v string) string {
	if h, _, err := net.SplitHostPort(v); err == nil {
		return h
	}
	return v
}

func alertmanagerAlert(c *collector, raw []byte) {
	var m amAlert
	if !c.read(raw, &m) {
		return
	}
	l := m.Labels
	if l["alertname"] == "" {
		c.reject(alert.Invalid("labels.alertname", "is required"))
		return
	}
	first, err := parseTime("startsAt", m.StartsAt, c.receivedAt)
	if err != nil {
		c.reject(err)
		return
	}
	a := &alert.Alert{
		Provider:    alert.ProviderAlertmanager,
		SourceID:    m.Fingerprint,
		Type:        l["alertname"],
		Name:        cmp.Or(m.Annotations["summary"], l["alertname"]),
		Description: cmp.Or(m.Annotations["description"], m.Annotations["message"]),
		Severity:    alertmanagerSeverity(l["severity"]),
		Status:      alert.StatusActive,
		FirstSeen:   first,
		LastSeen:    first,
	}
	if a.SourceID == "" {
		a.SourceID = labelFingerprint(l)
	}
	switch strings.ToLower(m.Status) {
	case "", "firing":
		// endsAt is 0001-01-01 (or a provisional expiry) while firing: the
		// only sighting the payload proves is startsAt.
	case "resolved":
		a.Status = alert.StatusResolved
		end, err := parseTime("endsAt", m.EndsAt, c.receivedAt)
		if err != nil {
			c.reject(err)
			return
		}
		if end.After(first) {
			a.LastSeen = end
		}
	default:
		c.reject(alert.Invalid("status", "must be firing or resolved"))
		return
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = c.receivedAt
		a.LastSeen = c.receivedAt
	}
	for _, k := range []string{"tactic", "mitre_tactic", "tactics"} {
		for _, v := range strings.Split(l[k], ",") {
			if s, ok := killchain.Parse(v); ok {
				a.Tactics = append(a.Tactics, s)
			}
		}
	}
	for _, k := range []string{"technique", "mitre_technique", "techniques"} {
		for _, v := range strings.Split(l[k], ",") {
			if v = strings.TrimSpace(v); v != "" {
				a.Techniques = append(a.Techniques, v)
			}
		}
	}
	if u := cmp.Or(m.Annotations["runbook_url"], m.Annotations["runbook"]); u != "" {
		a.RemediationSteps = []string{"Follow the runbook: " + u}
	}

	res := amResource(l)
	if res.ID == "" {
		c.reject(alert.Invalid("labels", "no label names what the alert is about (resource, instance, host, pod, service, job or alertname)"))
		return
	}
	a.Resources = []alert.Resource{res}
	a.Entities = amEntities(l, res.ID)
	c.add(a, raw)
}

// amResource is the affected resource: resource, instance_id or instance
// (host part), then host-like labels.
func amResource(l map[string]string) alert.Resource {
	var res alert.Resource
	switch {
	case l["resource"] != "":
		res = alert.Resource{ID: l["resource"], Type: l["resource_type"]}
	case l["instance_id"] != "":
		res = alert.Resource{ID: l["instance_id"]}
	case l["instance"] != "":
		res = alert.Resource{ID: stripPort(l["instance"]), Type: "Host"}
	default:
		res = amDerivedResource(l)
	}
	res.Name = cmp.Or(l["instance_name"], l["name"], res.Name)
	res.Region = l["region"]
	res.Account = cmp.Or(l["account"], l["account_id"])
	return res
}

// amDerivedResource names the resource of an alert that carries no
// instance: a host label, else the Kubernetes pod or service, the alias, the
// scrape job, and at last the alert rule itself, so that no real
// notification is refused (routing labels as Prometheus rules write them).
func amDerivedResource(l map[string]string) alert.Resource {
	for _, k := range []string{"host", "hostname", "node", "nodename"} {
		if l[k] != "" {
			return alert.Resource{ID: l[k], Type: "Host"}
		}
	}
	ns := l["namespace"]
	qualified := func(kind, name string) string {
		if ns != "" {
			return kind + ":" + ns + "/" + name
		}
		return kind + ":" + name
	}
	switch {
	case l["pod"] != "":
		return alert.Resource{ID: qualified("pod", l["pod"]), Type: "KubernetesPod", Name: l["pod"]}
	case l["service"] != "":
		return alert.Resource{ID: qualified("service", l["service"]), Type: "Service", Name: l["service"]}
	case l["alias"] != "":
		return alert.Resource{ID: "alias:" + l["alias"], Name: l["alias"]}
	case l["job"] != "":
		return alert.Resource{ID: qualified("job", l["job"]), Type: "PrometheusJob", Name: l["job"]}
	case l["alertname"] != "":
		return alert.Resource{ID: qualified("alertname", l["alertname"]), Type: "AlertRule", Name: l["alertname"]}
	}
	return alert.Resource{}
}

// amEntities reads the entities from well-known labels; a local user is
// qualified with its host, else with the resource id.
func amEntities(l map[string]string, resourceID string) entities {
	var es entities
	for _, k := range []string{"ip", "src_ip", "source_ip", "remote_ip", "client_ip", "dst_ip", "destination_ip"} {
		es.add(alert.EntityIP, l[k])
	}
	host := ""
	for _, k := range []string{"host", "hostname", "node", "nodename"} {
		if v := l[k]; v != "" {
			es.add(alert.EntityHost, v)
			host = cmp.Or(host, v)
		}
	}
	if inst := stripPort(l["instance"]); inst != "" {
		if _, err := netip.ParseAddr(inst); err == nil {
			es.add(alert.EntityIP, inst)
		} else {
			es.add(alert.EntityHost, inst)
			host = cmp.Or(host, inst)
		}
	}
	for _, k := range []string{"user", "username"} {
		es.add(alert.EntityAccount, localUser(l[k], cmp.Or(host, resourceID)))
	}
	if l["pod"] != "" {
		es.add(alert.EntityPod, strings.TrimPrefix(l["namespace"]+"/"+l["pod"], "/"))
	}
	es.add(alert.EntityContainer, l["container"])
	es.add(alert.EntityDomain, l["domain"])
	es.add(alert.EntityProcess, l["process"])
	es.add(alert.EntityAccessKey, l["access_key"])
	for _, k := range []string{"sha256", "file_hash", "hash"} {
		es.add(alert.EntityFileHash, l[k])
	}
	return es
}
