package normalize

import (
	"cmp"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
)

// defenderAlert holds the fields Muster reads from a Defender for Cloud
// alert. Both shapes decode into it: the workflow-automation / Logic Apps
// shape (PascalCase keys at the top level) and the REST / continuous-export
// shape ({"id", "name", "properties": {camelCase keys}}). encoding/json
// matches keys case-insensitively, so one struct serves both.
type defenderAlert struct {
	AlertType           string         `json:"AlertType"`
	SystemAlertID       string         `json:"SystemAlertId"`
	AlertDisplayName    string         `json:"AlertDisplayName"`
	Description         string         `json:"Description"`
	Severity            string         `json:"Severity"`
	Status              string         `json:"Status"`
	Intent              string         `json:"Intent"`
	Techniques          []string       `json:"Techniques"`
	StartTimeUtc        string         `json:"StartTimeUtc"`
	EndTimeUtc          string         `json:"EndTimeUtc"`
	TimeGeneratedUtc    string         `json:"TimeGeneratedUtc"`
	TimeGenerated       string         `json:"TimeGenerated"`
	CompromisedEntity   string         `json:"CompromisedEntity"`
	AzureResourceID     string         `json:"AzureResourceId"`
	IsIncident          flexBool       `json:"IsIncident"`
	RemediationSteps    jsontext.Value `json:"RemediationSteps"`
	ResourceIdentifiers []any          `json:"ResourceIdentifiers"`
	Entities            []any          `json:"Entities"`
}

type defenderUnit struct {
	Name       string         `json:"name"`
	Properties *defenderAlert `json:"properties"`
	defenderAlert
}

func parseDefender(c *collector, obj []byte) {
	var u defenderUnit
	if err := c.decode(obj, &u); err != nil {
		c.reject(cmp.Or(notAlert(obj), err))
		return
	}
	d := &u.defenderAlert
	if u.Properties != nil {
		d = u.Properties
		if d.SystemAlertID == "" {
			d.SystemAlertID = u.Name
		}
	}
	a, err := defenderToAlert(d, c.receivedAt)
	if err != nil {
		err = cmp.Or(notAlert(obj), err)
	}
	c.result(a, err, obj)
}

// notAlert is the refusal of a record continuous export sends besides
// alerts (recommendations, secure scores…); nil for anything else.
func notAlert(obj []byte) error {
	var r struct{ Type string }
	json.Unmarshal(obj, &r, strict) // an item that cannot be read has no type
	switch t := strings.ToLower(r.Type); {
	case strings.HasPrefix(t, "microsoft.security/assessments"):
		return alert.Invalid("type", "is a Defender for Cloud assessment (a recommendation), not a security alert: export or automate security alerts only")
	case strings.HasPrefix(t, "microsoft.security/") && !strings.HasSuffix(t, "/alerts"):
		return alert.Invalid("type", "is a Defender for Cloud %s record, not a security alert: export or automate security alerts only", alert.Truncate(r.Type, 80))
	}
	return nil
}

func defenderStatus(s string) (alert.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "new", "active", "inprogress", "in progress":
		return alert.StatusActive, true
	case "resolved":
		return alert.StatusResolved, true
	case "dismissed":
		return alert.StatusDismissed, true
	}
	return "", false
}

func defenderToAlert(d *defenderAlert, at time.Time) (*alert.Alert, error) {
	sev, ok := alert.ParseSeverity(d.Severity)
	if !ok {
		return nil, alert.Invalid("Severity", "must be one of Informational, Low, Medium, High, Critical")
	}
	status, ok := defenderStatus(d.Status)
	if !ok {
		return nil, alert.Invalid("Status", "must be one of New, Active, InProgress, Resolved, Dismissed")
	}
	first, last, _, err := sightings(at, timeField{"StartTimeUtc", d.StartTimeUtc},
		timeField{"TimeGeneratedUtc", cmp.Or(d.TimeGeneratedUtc, d.TimeGenerated)}, timeField{"EndTimeUtc", d.EndTimeUtc}, timeField{})
	if err != nil {
		return nil, err
	}
	a := &alert.Alert{
		Provider:       alert.ProviderDefender,
		SourceID:       d.SystemAlertID,
		Type:           d.AlertType,
		Name:           d.AlertDisplayName,
		Description:    d.Description,
		Severity:       sev,
		Status:         status,
		FirstSeen:      first,
		LastSeen:       last,
		SourceIncident: bool(d.IsIncident),
		Techniques:     d.Techniques,
	}
	for _, in := range strings.Split(d.Intent, ",") {
		if s, ok := killchain.Parse(in); ok {
			a.Tactics = append(a.Tactics, s)
		}
	}
	a.RemediationSteps = defenderSteps(d.RemediationSteps)

	idx := defenderIndex(d)
	var es entities
	for _, v := range d.Entities {
		idx.entity(idx.deref(v), &es)
	}
	a.Resources, a.Entities = defenderResources(d, idx, es), es
	return a, nil
}

// defenderResources picks the Azure (ResourceIdentifiers, AzureResourceId,
// azure-resource entities, a host's AzureID) and AWS resources named. A
// subscription or resource group (no "/providers/") is a scope that would
// link every alert of the subscription: kept only when no resource,
// CompromisedEntity or host entity is named.
func defenderResources(d *defenderAlert, idx refIndex, es entities) []alert.Resource {
	var specific, scopes []alert.Resource
	azure := func(id string) {
		res := alert.Resource{ID: id, Type: azureResourceType(id), Name: lastSegment(id)}
		switch {
		case strings.Contains(strings.ToLower(id), "/providers/"):
			specific = append(specific, res)
		case id != "":
			scopes = append(scopes, res)
		}
	}
	for _, v := range d.ResourceIdentifiers {
		switch m := idx.deref(v); strings.ToLower(str(m, "type")) {
		case "azureresource":
			azure(str(m, "azureResourceId"))
		case "awsresource":
			id := cmp.Or(str(m, "awsResourceId"), str(m, "resourceId"))
			specific = append(specific, alert.Resource{ID: id, Type: str(m, "awsResourceType"), Account: str(m, "awsAccountId"), Region: str(m, "awsRegion")})
		}
	}
	azure(d.AzureResourceID)
	for _, v := range d.Entities {
		switch m := idx.deref(v); strings.ToLower(str(m, "type")) {
		case "azure-resource":
			azure(str(m, "resourceId"))
		case "host":
			azure(str(m, "azureID"))
		}
	}
	host := d.CompromisedEntity
	for _, e := range es {
		if host == "" && e.Type == alert.EntityHost {
			host = e.Value
		}
	}
	switch {
	case len(specific) > 0:
		return specific
	case host != "":
		return []alert.Resource{{ID: host, Type: "Host", Name: host}}
	}
	return scopes
}

// defenderSteps accepts an array of steps, a string holding a JSON array
// (as continuous export writes it), or one plain string.
func defenderSteps(raw jsontext.Value) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	if strings.HasPrefix(strings.TrimSpace(s), "[") && json.Unmarshal([]byte(s), &list) == nil {
		return list
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// refIndex resolves Defender's "$id"/"$ref" entity references. Every
// object anywhere in ResourceIdentifiers and Entities that carries "$id" is
// indexed, so a "$ref" can point into a nested definition.
type refIndex map[string]map[string]any

func defenderIndex(d *defenderAlert) refIndex {
	idx := refIndex{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["$id"].(string); ok {
				idx[id] = x
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(d.ResourceIdentifiers)
	walk(d.Entities)
	return idx
}

// deref returns v as an object, following "$ref" links.
func (idx refIndex) deref(v any) map[string]any {
	m, _ := v.(map[string]any)
	for range 8 { // bounded: a reference cycle must not loop forever
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = idx[ref]
	}
	return nil
}

// str reads a string member case-insensitively (PascalCase or camelCase).
func str(m map[string]any, key string) string {
	s, _ := member(m, key).(string)
	return s
}

// member reads a member, preferring the exact key, else any case.
func member(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func (idx refIndex) entity(m map[string]any, es *entities) {
	if m == nil {
		return
	}
	switch strings.ToLower(str(m, "type")) {
	case "ip":
		es.add(alert.EntityIP, str(m, "address"))
	case "host":
		es.add(alert.EntityHost, cmp.Or(str(m, "hostName"), str(m, "netBiosName")))
	case "account":
		name := str(m, "name")
		switch {
		case str(m, "upnSuffix") != "":
			name = name + "@" + str(m, "upnSuffix")
		case str(m, "aadUserId") != "":
			name = str(m, "aadUserId")
		case str(m, "ntDomain") != "":
			name = str(m, "ntDomain") + `\` + name
		default:
			if h := idx.deref(member(m, "host")); h != nil {
				name = localUser(name, str(h, "hostName"))
			}
		}
		es.add(alert.EntityAccount, name)
	case "process":
		cmd := str(m, "commandLine")
		if f := idx.deref(member(m, "imageFile")); f != nil {
			dir, name := str(f, "directory"), str(f, "name")
			if dir != "" && name != "" {
				cmd = strings.TrimSuffix(dir, "/") + "/" + name
			} else {
				cmd = cmp.Or(name, cmd)
			}
		}
		es.add(alert.EntityProcess, cmd)
	case "file":
		if hs, ok := member(m, "fileHashes").([]any); ok {
			for _, h := range hs {
				if hm := idx.deref(h); hm != nil {
					es.add(alert.EntityFileHash, str(hm, "value"))
				}
			}
		}
	case "filehash":
		es.add(alert.EntityFileHash, str(m, "value"))
	case "dns":
		es.add(alert.EntityDomain, str(m, "domainName"))
	case "url":
		es.add(alert.EntityURL, str(m, "url"))
	case "container":
		es.add(alert.EntityContainer, cmp.Or(str(m, "name"), str(m, "containerId")))
	case "k8s-pod":
		es.add(alert.EntityPod, str(m, "name"))
	}
}

// azureResourceType is the provider/type part of an Azure resource id, e.g.
// "Microsoft.Compute/virtualMachines".
func azureResourceType(id string) string {
	parts := strings.Split(id, "/")
	for i := len(parts) - 3; i >= 0; i-- {
		if strings.EqualFold(parts[i], "providers") && i+2 < len(parts) {
			return parts[i+1] + "/" + parts[i+2]
		}
	}
	return "AzureResource"
}

func lastSegment(id string) string {
	id = strings.TrimSuffix(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}
