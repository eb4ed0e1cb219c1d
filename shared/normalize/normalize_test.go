package normalize_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/alert"
	"github.com/muster-sec/muster/shared/killchain"
	"github.com/muster-sec/muster/shared/normalize"
)

func parse(t *testing.T, provider, body string) []normalize.Result {
	t.Helper()
	rs, err := normalize.Parse(provider, []byte(body), receivedAt)
	if err != nil {
		t.Fatalf("Parse(%s): %v", provider, err)
	}
	return rs
}

func one(t *testing.T, provider, body string) *alert.Alert {
	t.Helper()
	rs := parse(t, provider, body)
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1", len(rs))
	}
	if rs[0].Err != nil {
		t.Fatalf("rejected: %v", rs[0].Err)
	}
	return rs[0].Alert
}

func rejected(t *testing.T, provider, body, field string) {
	t.Helper()
	rs := parse(t, provider, body)
	if len(rs) != 1 || rs[0].Err == nil {
		t.Fatalf("want one rejected result, got %+v", rs)
	}
	if !errors.Is(rs[0].Err, alert.ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", rs[0].Err)
	}
	if fe := rs[0].FieldError(); fe.Field != field || fe.Reason == "" {
		t.Fatalf("field error = %+v, want field %q", fe, field)
	}
}

func stages(s ...killchain.Stage) string { return fmt.Sprint(s) }

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		name, provider, body string
		want                 error
	}{
		{"unknown provider", "splunk", `{}`, normalize.ErrUnknownProvider},
		{"empty body", "generic", "  ", normalize.ErrMalformed},
		{"truncated object", "generic", `{"id":`, normalize.ErrMalformed},
		{"truncated array", "guardduty", `[{"arn":"x"}`, normalize.ErrMalformed},
		{"trailing garbage", "falco", `{"rule":"x"} {}`, normalize.ErrMalformed},
		{"scalar", "generic", `42`, normalize.ErrMalformed},
		{"string", "ocsf", `"x"`, normalize.ErrMalformed},
		{"null", "defender", `null`, normalize.ErrMalformed},
		{"empty array", "alertmanager", `[]`, normalize.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := normalize.Parse(tc.provider, []byte(tc.body), receivedAt)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.body) && len(tc.body) > 4 {
				t.Fatalf("error quotes the input: %v", err)
			}
		})
	}
}

func TestArrayItemsAndIndexes(t *testing.T) {
	group := func(fp ...string) string {
		var alerts []string
		for _, f := range fp {
			alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"A","instance_id":"i-0123456789abcdef0"},"startsAt":"2026-11-20T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":%q}`, f))
		}
		return `{"version":"4","status":"firing","alerts":[` + strings.Join(alerts, ",") + `]}`
	}
	rs := parse(t, "alertmanager", "["+group("a", "b")+`, 7, `+group("c")+"]")
	if len(rs) != 4 {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.Index != i {
			t.Fatalf("result %d has index %d", i, r.Index)
		}
	}
	if rs[2].Err == nil || rs[3].Alert == nil || rs[3].Alert.SourceID != "c" {
		t.Fatalf("results = %+v", rs)
	}
}

// The raw audit copy of each alert is its own item of the request.
func TestRawIsTheItem(t *testing.T) {
	a := `{"id":"a","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`
	b := `{"id":"b","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`
	rs := parse(t, "generic", "[ "+a+" ,\n "+b+" ]")
	if string(rs[0].Alert.Raw) != a || string(rs[1].Alert.Raw) != b {
		t.Fatalf("raw = %s / %s", rs[0].Alert.Raw, rs[1].Alert.Raw)
	}
	env := readFile(t, samplesDir+"/securityhub/imported-inspector-and-control.json")
	rs = parse(t, "securityhub", string(env))
	var e struct {
		Detail struct {
			Findings []json.RawMessage `json:"findings"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if string(r.Alert.Raw) != string(e.Detail.Findings[i]) {
			t.Fatalf("finding %d raw is not the finding", i)
		}
	}
	// Over the cap the raw copy is truncated, never dropped.
	big := `{"id":"big","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"description":"` + strings.Repeat("d", 5000) + `","pad":"` + strings.Repeat("p", alert.RawCap) + `"}`
	got := one(t, "generic", big)
	if !got.RawTruncated || len(got.Raw) == 0 {
		t.Fatalf("raw truncated=%v len=%d", got.RawTruncated, len(got.Raw))
	}
}

const gdTemplate = `{"detail-type":"GuardDuty Finding","detail":{"accountId":"123456789012","region":"us-east-1","id":"f","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/f",
 "type":%q,"severity":%s,"title":"t","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0a1b2c3d4e5f60718","tags":[{"key":"Name","value":"web"}]}},
 "service":{"eventFirstSeen":"2026-11-20T08:00:00.000Z","eventLastSeen":"2026-11-20T08:05:00.000Z","count":2,"archived":%s,"additionalInfo":%s,
  "action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"203.0.113.9","organization":{"asn":%s}}}}}}}`

func gd(typ, sev, archived, info, asn string) string {
	return fmt.Sprintf(gdTemplate, typ, sev, archived, info, asn)
}

// TestGuardDutyPrimaryResource: an AccessKey or S3Bucket finding is about
// the principal or the bucket; the instanceDetails that sample findings fill
// for every type count only when the key is that instance's credentials.
func TestGuardDutyPrimaryResource(t *testing.T) {
	const session = `"principalId": "AROA5EXAMPLEROLEID:i-99999999"`
	tests := []struct {
		sample, replace, want string
	}{
		{"sample-finding-access-key-malicious-ip", "", "[arn:aws:iam::123456789012:user/GeneratedFindingUserName]"},
		{"sample-finding-access-key-malicious-ip", session, "[i-99999999]"},
		{"sample-finding-s3-block-public-access-disabled", "", "[arn:aws:s3:::bucketName]"},
		{"sample-finding-s3-block-public-access-disabled", session, "[arn:aws:s3:::bucketName i-99999999]"},
		{"sample-finding-bitcoin-dns", "", "[i-99999999]"},
	}
	for _, tc := range tests {
		t.Run(tc.sample+tc.replace, func(t *testing.T) {
			body := string(readFile(t, samplesDir+"/guardduty/"+tc.sample+".json"))
			if tc.replace != "" {
				body = strings.Replace(body, `"principalId": "GeneratedFindingPrincipalId"`, tc.replace, 1)
			}
			a := one(t, "guardduty", body)
			var ids []string
			for _, r := range a.Resources {
				ids = append(ids, r.ID)
			}
			if fmt.Sprint(ids) != tc.want {
				t.Fatalf("resources %v, want %s", ids, tc.want)
			}
			hasIP := slices.ContainsFunc(a.Entities, func(e alert.Entity) bool { return e.Value == "10.0.0.1" })
			if hasIP != strings.Contains(tc.want, "i-") {
				t.Errorf("instance's private IP among entities: %v, want it only when the instance is involved", hasIP)
			}
		})
	}
}

func TestGuardDuty(t *testing.T) {
	t.Run("severity bands", func(t *testing.T) {
		for sev, want := range map[string]alert.Severity{"1": alert.Low, "3.9": alert.Low, "4": alert.Medium, "6.9": alert.Medium, "7": alert.High, "8.9": alert.High, "9": alert.Critical, "10": alert.Critical} {
			if got := one(t, "guardduty", gd("Recon:EC2/Portscan", sev, "false", "{}", `"1"`)).Severity; got != want {
				t.Errorf("severity %s → %v, want %v", sev, got, want)
			}
		}
	})
	t.Run("tactics: catalogue, then ThreatPurpose", func(t *testing.T) {
		tests := map[string]string{
			"Backdoor:EC2/C&CActivity.B!DNS":                                       stages(killchain.CommandAndControl),
			"UnauthorizedAccess:EC2/SSHBruteForce":                                 stages(killchain.InitialAccess, killchain.CredentialAccess),
			"Recon:EC2/SomethingNew":                                               stages(killchain.PreAttack),
			"UnauthorizedAccess:EC2/SomethingNew":                                  stages(killchain.InitialAccess),
			"Trojan:EC2/SomethingNew":                                              stages(killchain.CommandAndControl),
			"CryptoCurrency:EC2/SomethingNew":                                      stages(killchain.Impact),
			"Stealth:IAMUser/SomethingNew":                                         stages(killchain.DefenseEvasion),
			"PenTest:IAMUser/SomethingNew":                                         stages(killchain.Discovery),
			"Discovery:S3/SomethingNew":                                            stages(killchain.Discovery),
			"Exfiltration:S3/SomethingNew":                                         stages(killchain.Exfiltration),
			"PrivilegeEscalation:Runtime/SomethingNew":                             stages(killchain.PrivilegeEscalation),
			"Policy:S3/SomethingNew":                                               stages(),
			"Behavior:EC2/SomethingNew":                                            stages(),
			"Policy:IAMUser/RootCredentialUsage":                                   stages(killchain.PrivilegeEscalation),
			"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": stages(killchain.CredentialAccess, killchain.Exfiltration),
		}
		for typ, want := range tests {
			if got := stages(one(t, "guardduty", gd(typ, "5", "false", "{}", "1")).Tactics...); got != want {
				t.Errorf("%s → %s, want %s", typ, got, want)
			}
		}
	})
	t.Run("asn as string or number", func(t *testing.T) {
		a := one(t, "guardduty", gd("Recon:EC2/Portscan", "2", "false", "{}", `"64500"`))
		b := one(t, "guardduty", gd("Recon:EC2/Portscan", "2", "false", "{}", `64500`))
		if a.ID != b.ID || len(a.Entities) != len(b.Entities) {
			t.Fatalf("asn spelling changed the alert")
		}
	})
	t.Run("archived is dismissed, sample is marked", func(t *testing.T) {
		a := one(t, "guardduty", gd("Recon:EC2/Portscan", "2", "true", `{"sample":true}`, "1"))
		if a.Status != alert.StatusDismissed || !strings.HasPrefix(a.Name, "[Sample] ") {
			t.Fatalf("status %v name %q", a.Status, a.Name)
		}
	})
	t.Run("tags become a map, the Name tag the resource name", func(t *testing.T) {
		r := one(t, "guardduty", gd("Recon:EC2/Portscan", "2", "false", "{}", "1")).Resources[0]
		if r.ID != "i-0a1b2c3d4e5f60718" || r.Name != "web" || r.Tags["Name"] != "web" || r.Account != "123456789012" {
			t.Fatalf("resource %+v", r)
		}
	})
	t.Run("attack sequence is a source incident", func(t *testing.T) {
		a := one(t, "guardduty", gd("AttackSequence:S3/CompromisedData", "9.5", "false", "{}", "1"))
		if !a.SourceIncident || a.Severity != alert.Critical {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("wrong detail type", func(t *testing.T) {
		rejected(t, "guardduty", strings.Replace(gd("Recon:EC2/Portscan", "2", "false", "{}", "1"), "GuardDuty Finding", "EC2 Spot Instance Interruption Warning", 1), "detail-type")
	})
	t.Run("missing severity", func(t *testing.T) {
		rejected(t, "guardduty", gd("Recon:EC2/Portscan", "null", "false", "{}", "1"), "severity")
	})
	t.Run("severity of the wrong type", func(t *testing.T) {
		rejected(t, "guardduty", gd("Recon:EC2/Portscan", `"high"`, "false", "{}", "1"), "detail.severity")
	})
	t.Run("bare finding equals enveloped finding", func(t *testing.T) {
		env := gd("Recon:EC2/Portscan", "2", "false", "{}", "1")
		var e struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal([]byte(env), &e); err != nil {
			t.Fatal(err)
		}
		a, b := one(t, "guardduty", env), one(t, "guardduty", string(e.Detail))
		if a.ID != b.ID || a.SourceID != b.SourceID || a.Type != b.Type {
			t.Fatalf("%+v vs %+v", a, b)
		}
	})
}

func asff(extra string) string {
	return `{"Id":"f-1","ProductArn":"arn:aws:securityhub:us-east-1::product/acme/edr","GeneratorId":"acme/rule/42","AwsAccountId":"123456789012",
	 "Types":["TTPs/Command and Control/Beacon"],"CreatedAt":"2026-11-20T08:00:00Z","UpdatedAt":"2026-11-20T09:00:00Z","Title":"t",
	 "Resources":[{"Type":"Other","Id":"r-1"}]` + extra + `}`
}

func TestSecurityHub(t *testing.T) {
	t.Run("severity label or normalized", func(t *testing.T) {
		tests := map[string]alert.Severity{
			`"Severity":{"Label":"INFORMATIONAL"}`: alert.Informational,
			`"Severity":{"Label":"critical"}`:      alert.Critical,
			`"Severity":{"Normalized":0}`:          alert.Informational,
			`"Severity":{"Normalized":1}`:          alert.Low,
			`"Severity":{"Normalized":39}`:         alert.Low,
			`"Severity":{"Normalized":40}`:         alert.Medium,
			`"Severity":{"Normalized":69}`:         alert.Medium,
			`"Severity":{"Normalized":70}`:         alert.High,
			`"Severity":{"Normalized":89}`:         alert.High,
			`"Severity":{"Normalized":90}`:         alert.Critical,
			`"Severity":{"Normalized":100}`:        alert.Critical,
		}
		for sev, want := range tests {
			if got := one(t, "securityhub", asff(","+sev)).Severity; got != want {
				t.Errorf("%s → %v, want %v", sev, got, want)
			}
		}
		rejected(t, "securityhub", asff(`,"Severity":{"Normalized":101}`), "Severity")
		rejected(t, "securityhub", asff(``), "Severity")
	})
	t.Run("workflow and record state", func(t *testing.T) {
		tests := map[string]alert.Status{
			`"Workflow":{"Status":"NEW"},"RecordState":"ACTIVE"`:        alert.StatusActive,
			`"Workflow":{"Status":"NOTIFIED"}`:                          alert.StatusActive,
			`"Workflow":{"Status":"RESOLVED"},"RecordState":"ACTIVE"`:   alert.StatusResolved,
			`"Workflow":{"Status":"SUPPRESSED"},"RecordState":"ACTIVE"`: alert.StatusDismissed,
			`"Workflow":{"Status":"NEW"},"RecordState":"ARCHIVED"`:      alert.StatusResolved,
			`"WorkflowState":"DEFERRED"`:                                alert.StatusDismissed,
		}
		for st, want := range tests {
			if got := one(t, "securityhub", asff(`,"Severity":{"Label":"LOW"},`+st)).Status; got != want {
				t.Errorf("%s → %v, want %v", st, got, want)
			}
		}
	})
	t.Run("types give tactics", func(t *testing.T) {
		a := one(t, "securityhub", strings.Replace(asff(`,"Severity":{"Label":"LOW"}`), `"TTPs/Command and Control/Beacon"`, `"TTPs/Command and Control/Beacon","Effects/Data Exfiltration","TTPs/Privilege Escalation/X","Software and Configuration Checks/Y"`, 1))
		if got := stages(a.Tactics...); got != stages(killchain.PrivilegeEscalation, killchain.CommandAndControl, killchain.Exfiltration) {
			t.Fatalf("tactics %s", got)
		}
	})
	t.Run("product fields that are not strings are tolerated", func(t *testing.T) {
		a := one(t, "securityhub", asff(`,"Severity":{"Label":"LOW"},"ProductFields":{"count":"3","score":8.1,"flag":true,"none":null}`))
		if a.Type != "acme/rule/42" {
			t.Fatalf("type %q", a.Type)
		}
	})
	t.Run("tags map, remediation kept", func(t *testing.T) {
		a := one(t, "securityhub", strings.Replace(asff(`,"Severity":{"Label":"LOW"},"Remediation":{"Recommendation":{"Text":"Patch it.","Url":"https://example.com/fix"}}`),
			`{"Type":"Other","Id":"r-1"}`, `{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718","Tags":{"Name":"web-prod-1","env":"prod"}}`, 1))
		r := a.Resources[0]
		if r.ID != "i-0a1b2c3d4e5f60718" || r.Name != "web-prod-1" || r.Tags["env"] != "prod" {
			t.Fatalf("resource %+v", r)
		}
		if len(a.RemediationSteps) != 1 || a.RemediationSteps[0] != "Patch it. https://example.com/fix" {
			t.Fatalf("steps %q", a.RemediationSteps)
		}
	})
	t.Run("batch import body", func(t *testing.T) {
		f := asff(`,"Severity":{"Label":"LOW"}`)
		rs := parse(t, "securityhub", `{"Findings":[`+f+`,`+strings.Replace(f, `"f-1"`, `"f-2"`, 1)+`]}`)
		if len(rs) != 2 || rs[0].Alert == nil || rs[1].Alert == nil || rs[1].Alert.SourceID != "f-2" {
			t.Fatalf("%+v", rs)
		}
	})
	t.Run("envelope without findings", func(t *testing.T) {
		rejected(t, "securityhub", `{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[]}}`, "detail.findings")
	})
	t.Run("guardduty copy is a guardduty alert with the guardduty type", func(t *testing.T) {
		gdArn := "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/f"
		body := strings.NewReplacer(`"f-1"`, `"`+gdArn+`"`, "product/acme/edr", "product/aws/guardduty",
			`"TTPs/Command and Control/Beacon"`, `"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"`).Replace(asff(`,"Severity":{"Label":"HIGH"}`))
		a := one(t, "securityhub", body)
		if a.ID != alert.ID("guardduty", gdArn) || a.Type != "Backdoor:EC2/C&CActivity.B!DNS" || a.Provider != "guardduty" {
			t.Fatalf("%+v", a)
		}
	})
}

func defender(fields string) string {
	return `{"AlertType":"VM_X","SystemAlertId":"s-1","AlertDisplayName":"x","StartTimeUtc":"2026-11-20T08:00:00Z","CompromisedEntity":"vm1"` + fields + `}`
}

func TestDefender(t *testing.T) {
	t.Run("severity and status", func(t *testing.T) {
		rejected(t, "defender", defender(``), "Severity")
		rejected(t, "defender", defender(`,"Severity":"High","Status":"Sleeping"`), "Status")
		for st, want := range map[string]alert.Status{"New": alert.StatusActive, "InProgress": alert.StatusActive, "Resolved": alert.StatusResolved, "Dismissed": alert.StatusDismissed} {
			if got := one(t, "defender", defender(`,"Severity":"Low","Status":"`+st+`"`)).Status; got != want {
				t.Errorf("%s → %v", st, got)
			}
		}
	})
	t.Run("intent comma list", func(t *testing.T) {
		a := one(t, "defender", defender(`,"Severity":"Low","Intent":"Probing, Exploitation,Persistence,Unknown"`))
		if got := stages(a.Tactics...); got != stages(killchain.PreAttack, killchain.InitialAccess, killchain.Persistence) {
			t.Fatalf("tactics %s", got)
		}
	})
	t.Run("compromised entity is the fallback resource", func(t *testing.T) {
		a := one(t, "defender", defender(`,"Severity":"Low"`))
		if a.Resources[0].ID != "vm1" {
			t.Fatalf("%+v", a.Resources)
		}
	})
	t.Run("refs resolve and cycles end", func(t *testing.T) {
		a := one(t, "defender", defender(`,"Severity":"Low","Entities":[{"$id":"1","$ref":"2"},{"$id":"2","$ref":"1"},{"$ref":"3"},{"$id":"3","Address":"198.51.100.1","Type":"ip"}]`))
		if len(a.Entities) != 1 || a.Entities[0].Value != "198.51.100.1" || !a.Entities[0].Public {
			t.Fatalf("%+v", a.Entities)
		}
	})
	t.Run("the machine, not the subscription, is the resource", func(t *testing.T) {
		const vm = "/subscriptions/4b2c8a1e-7d3f-4e9a-b1c5-0f6e2d8a9c47/resourcegroups/rg-prod-db/providers/microsoft.compute/virtualmachines/vm-db-eus-03"
		const sub = "/subscriptions/4b2c8a1e-7d3f-4e9a-b1c5-0f6e2d8a9c47"
		export := string(readFile(t, samplesDir+"/defender/export-subscription-scoped-vm-alert.json"))
		noAzureResourceID := regexp.MustCompile(`"AzureResourceId": "[^"]*/virtualMachines/[^"]*",`).ReplaceAllString(export, "")
		noAzureID := regexp.MustCompile(`"AzureID": "[^"]*",`).ReplaceAllString(noAzureResourceID, "")
		tests := []struct{ name, body, want string }{
			{"as exported", export, vm},
			{"AzureResourceId only", strings.Replace(noAzureID, `"CompromisedEntity"`, `"AzureResourceId": "`+vm+`", "CompromisedEntity"`, 1), vm},
			{"host entity's AzureID only", noAzureResourceID, vm},
			{"CompromisedEntity", noAzureID, "vm-db-eus-03"},
			{"host entity", strings.Replace(noAzureID, `"CompromisedEntity": "vm-db-eus-03",`, "", 1), "vm-db-eus-03"},
			{"only the subscription", `{"AlertType":"ARM_X","SystemAlertId":"s-2","AlertDisplayName":"x","StartTimeUtc":"2026-11-20T08:00:00Z","Severity":"Low","ResourceIdentifiers":[{"Type":"AzureResource","AzureResourceId":"` + sub + `"}]}`, sub},
		}
		for _, tc := range tests {
			a := one(t, "defender", tc.body)
			if len(a.Resources) != 1 || a.Resources[0].ID != tc.want {
				t.Errorf("%s: resources %+v, want %s", tc.name, a.Resources, tc.want)
			}
		}
	})
	t.Run("assessments are refused as not alerts", func(t *testing.T) {
		// A recommendation as continuous export sends it.
		assessment := `{"type":"Microsoft.Security/assessments","id":"/subscriptions/4b2c8a1e-7d3f-4e9a-b1c5-0f6e2d8a9c47/resourceGroups/rg-prod-web/providers/Microsoft.Compute/virtualMachines/vm-web-eus-01/providers/Microsoft.Security/assessments/1195afff-c881-495e-9bc5-1486211ae03f",` +
			`"name":"1195afff-c881-495e-9bc5-1486211ae03f","properties":{"resourceDetails":{"Source":"Azure","Id":"/subscriptions/4b2c8a1e-7d3f-4e9a-b1c5-0f6e2d8a9c47/resourceGroups/rg-prod-web/providers/Microsoft.Compute/virtualMachines/vm-web-eus-01"},` +
			`"displayName":"Machines should have vulnerability findings resolved","status":{"code":"Unhealthy","firstEvaluationDate":"2026-11-18T09:00:00Z","statusChangeDate":"2026-11-18T09:00:00Z"},` +
			`"metadata":{"displayName":"Machines should have vulnerability findings resolved","severity":"High","assessmentType":"BuiltIn"}},"assessmentEventDataEnrichment":{"action":"Insert","apiVersion":"2021-06-01","isSnapshot":false}}`
		for _, body := range []string{assessment, strings.Replace(assessment, `"status":{"code":"Unhealthy",`, `"status2":{`, 1)} {
			rs := parse(t, "defender", body)
			if fe := rs[0].FieldError(); fe == nil || fe.Field != "type" || !strings.Contains(fe.Reason, "assessment (a recommendation), not a security alert") {
				t.Errorf("refusal %+v, want one that names the assessment", fe)
			}
		}
		rs := parse(t, "defender", `{"type":"Microsoft.Security/secureScores/controls","name":"x","properties":{}}`)
		if fe := rs[0].FieldError(); fe == nil || fe.Field != "type" || !strings.Contains(fe.Reason, "not a security alert") {
			t.Errorf("secure score refusal %+v", fe)
		}
	})
	t.Run("REST shape uses the name as id", func(t *testing.T) {
		a := one(t, "defender", `{"name":"rest-1","properties":{"alertType":"T","severity":"Medium","startTimeUtc":"2026-11-20T08:00:00Z","compromisedEntity":"vm2","isIncident":true}}`)
		if a.SourceID != "rest-1" || !a.SourceIncident || a.Severity != alert.Medium {
			t.Fatalf("%+v", a)
		}
	})
}

func am(alertJSON string) string {
	return `{"version":"4","status":"firing","alerts":[` + alertJSON + `]}`
}

func TestAlertmanager(t *testing.T) {
	base := `"labels":{"alertname":"A","severity":"%s","instance":"web-1.example.com:9100"},"startsAt":"2026-11-20T08:00:00Z"`
	t.Run("firing: endsAt 0001 is ignored", func(t *testing.T) {
		a := one(t, "alertmanager", am(`{"status":"firing",`+fmt.Sprintf(base, "warning")+`,"endsAt":"0001-01-01T00:00:00Z","fingerprint":"f1"}`))
		if a.Status != alert.StatusActive || !a.LastSeen.Equal(a.FirstSeen) || a.Severity != alert.Medium || a.Resources[0].ID != "web-1" {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("resolved: endsAt is the last sighting", func(t *testing.T) {
		a := one(t, "alertmanager", am(`{"status":"resolved",`+fmt.Sprintf(base, "critical")+`,"endsAt":"2026-11-20T08:30:00Z","fingerprint":"f1"}`))
		if a.Status != alert.StatusResolved || a.LastSeen != time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC) || a.Severity != alert.Critical {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("severity labels", func(t *testing.T) {
		for l, want := range map[string]alert.Severity{"critical": alert.Critical, "high": alert.High, "error": alert.High, "warning": alert.Medium, "low": alert.Low, "info": alert.Informational, "": alert.Medium} {
			if got := one(t, "alertmanager", am(`{`+fmt.Sprintf(base, l)+`,"fingerprint":"f"}`)).Severity; got != want {
				t.Errorf("%q → %v, want %v", l, got, want)
			}
		}
	})
	t.Run("fingerprint is the identity; a missing one is derived from labels", func(t *testing.T) {
		a := one(t, "alertmanager", am(`{`+fmt.Sprintf(base, "low")+`}`))
		b := one(t, "alertmanager", am(`{`+fmt.Sprintf(base, "low")+`,"status":"resolved","endsAt":"2026-11-20T09:00:00Z"}`))
		if a.SourceID == "" || a.ID != b.ID {
			t.Fatalf("derived fingerprints differ: %s %s", a.SourceID, b.SourceID)
		}
	})
	t.Run("resource label order", func(t *testing.T) {
		tests := map[string]string{
			`"resource":"arn:aws:rds:us-east-1:1:db:x","instance_id":"i-0123456789abcdef0"`: "arn:aws:rds:us-east-1:1:db:x",
			`"instance_id":"i-0123456789abcdef0","instance":"10.0.0.1:9100"`:                "i-0123456789abcdef0",
			`"instance":"IP-10-0-0-1.ec2.internal:9100"`:                                    "ip-10-0-0-1",
			`"host":"db-2"`: "db-2",
			// Alerts that name no instance still name what they are about.
			`"namespace":"shop","pod":"cart-7d9f"`:          "pod:shop/cart-7d9f",
			`"namespace":"shop","service":"cart","job":"x"`: "service:shop/cart",
			`"alias":"core-router"`:                         "alias:core-router",
			`"job":"node-exporter"`:                         "job:node-exporter",
			`"severity":"critical"`:                         "alertname:A",
		}
		for labels, want := range tests {
			a := one(t, "alertmanager", am(`{"labels":{"alertname":"A",`+labels+`},"startsAt":"2026-11-20T08:00:00Z","fingerprint":"f"}`))
			if a.Resources[0].ID != want {
				t.Errorf("%s → %s, want %s", labels, a.Resources[0].ID, want)
			}
		}
		rejected(t, "alertmanager", am(`{"labels":{"instance":"x"},"startsAt":"2026-11-20T08:00:00Z"}`), "labels.alertname")
	})
	t.Run("tactic labels and entities", func(t *testing.T) {
		a := one(t, "alertmanager", am(`{"labels":{"alertname":"A","instance_id":"i-0123456789abcdef0","mitre_tactic":"TA0008","tactic":"Lateral Movement, Discovery","src_ip":"203.0.113.5","user":"root","host":"Web-1.corp"},"startsAt":"2026-11-20T08:00:00Z","fingerprint":"f"}`))
		if got := stages(a.Tactics...); got != stages(killchain.Discovery, killchain.LateralMovement) {
			t.Fatalf("tactics %s", got)
		}
		want := map[string]bool{"ip:203.0.113.5": true, "host:web-1": true, "account:root@web-1": true}
		for _, e := range a.Entities {
			delete(want, string(e.Type)+":"+e.Value)
		}
		if len(want) != 0 {
			t.Fatalf("missing entities %v in %+v", want, a.Entities)
		}
	})
}

func TestFalco(t *testing.T) {
	ev := `{"rule":"R","priority":"%s","time":"2026-11-20T09:10:31.482915023Z","hostname":"node-1","tags":["mitre_persistence","T1098","k8s"],"output":"o","output_fields":{"proc.name":null,"user.name":null,"fd.sip":"198.51.100.9"}}`
	t.Run("priorities", func(t *testing.T) {
		for p, want := range map[string]alert.Severity{"Emergency": alert.Critical, "Alert": alert.Critical, "Critical": alert.Critical, "Error": alert.High, "Warning": alert.Medium, "Notice": alert.Low, "Informational": alert.Informational, "Debug": alert.Informational} {
			if got := one(t, "falco", fmt.Sprintf(ev, p)).Severity; got != want {
				t.Errorf("%s → %v, want %v", p, got, want)
			}
		}
	})
	t.Run("nanoseconds, nulls, tags", func(t *testing.T) {
		a := one(t, "falco", fmt.Sprintf(ev, "Notice"))
		if a.FirstSeen.Nanosecond() != 482915023 || stages(a.Tactics...) != stages(killchain.Persistence) || fmt.Sprint(a.Techniques) != "[T1098]" {
			t.Fatalf("%+v", a)
		}
		if a.Resources[0].ID != "node-1" || len(a.Entities) != 2 {
			t.Fatalf("resources %+v entities %+v", a.Resources, a.Entities)
		}
	})
	t.Run("output_fields of every JSON type", func(t *testing.T) {
		// A k8s-audit rule's fields hold lists; syscall fields numbers
		// (some beyond float64), booleans and nulls. None refuses the event;
		// only text and numbers are read.
		a := one(t, "falco", `{"rule":"Create Privileged Pod","priority":"Warning","time":"2026-11-20T09:10:31Z","source":"k8s_audit","hostname":"node-1","output_fields":{`+
			`"ka.req.pod.containers.image":["nginx:1.27"],"ka.req.pod.containers.privileged":[true],"ka.resp.reason":{"code":201},`+
			`"evt.rawtime":1763629831482915023,"evt.num":1e400,"fd.sport":-1,"proc.is_exe_writable":false,"fd.sip":["203.0.113.9"],`+
			`"user.name":"root","user.loginuid":null,"user.uid":0,"k8s.ns.name":"shop","k8s.pod.name":"web-7d9"}}`)
		want := "[{host node-1 false} {pod shop/web-7d9 false} {account root@node-1 false}]"
		if got := fmt.Sprint(a.Entities); got != want || a.Resources[0].ID != "node-1" {
			t.Fatalf("entities %s, want %s; resources %+v", got, want, a.Resources)
		}
	})
	t.Run("no uuid: a stable derived id", func(t *testing.T) {
		a, b := one(t, "falco", fmt.Sprintf(ev, "Notice")), one(t, "falco", fmt.Sprintf(ev, "Notice"))
		if a.ID != b.ID || a.SourceID == "" {
			t.Fatal("derived id not stable")
		}
	})
	t.Run("required fields", func(t *testing.T) {
		rejected(t, "falco", `{"priority":"Notice","time":"2026-11-20T09:10:31Z","hostname":"h"}`, "rule")
		rejected(t, "falco", `{"rule":"R","time":"2026-11-20T09:10:31Z","hostname":"h"}`, "priority")
		rejected(t, "falco", `{"rule":"R","priority":"Notice","time":"soon","hostname":"h"}`, "time")
		rejected(t, "falco", `{"rule":"R","priority":"Notice","time":"2026-11-20T09:10:31Z"}`, "hostname")
	})
}

func TestOCSF(t *testing.T) {
	f := `{"class_uid":%s,"time":1763629831000,"severity_id":%s,"severity":"%s","status_id":%d,"finding_info":{"uid":"u-1","title":"t","attacks":[{"tactic":{"uid":"TA0010"}}]},"resources":[{"uid":"r-1"}]}`
	t.Run("time in epoch milliseconds", func(t *testing.T) {
		a := one(t, "ocsf", fmt.Sprintf(f, "2004", "2", "", 1))
		if !a.FirstSeen.Equal(time.UnixMilli(1763629831000)) || a.Severity != alert.Low || stages(a.Tactics...) != stages(killchain.Exfiltration) {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("severity ids", func(t *testing.T) {
		for id, want := range map[string]alert.Severity{"1": alert.Informational, "3": alert.Medium, "5": alert.Critical, "6": alert.Critical} {
			if got := one(t, "ocsf", fmt.Sprintf(f, "2004", id, "", 1)).Severity; got != want {
				t.Errorf("%s → %v", id, got)
			}
		}
		for _, tc := range []struct {
			id, caption string
			want        alert.Severity
		}{{"0", "", alert.Informational}, {"0", "Unknown", alert.Informational}, {"99", "High", alert.High},
			{"99", "Other", alert.Medium}, {"99", "", alert.Medium}} {
			if got := one(t, "ocsf", fmt.Sprintf(f, "2004", tc.id, tc.caption, 1)).Severity; got != tc.want {
				t.Errorf("%s with caption %q → %v, want %v", tc.id, tc.caption, got, tc.want)
			}
		}
		rejected(t, "ocsf", fmt.Sprintf(f, "2004", "7", "", 1), "severity_id")
	})
	t.Run("status ids", func(t *testing.T) {
		for id, want := range map[int]alert.Status{1: alert.StatusActive, 2: alert.StatusActive, 3: alert.StatusDismissed, 4: alert.StatusResolved} {
			if got := one(t, "ocsf", fmt.Sprintf(f, "2004", "2", "", id)).Status; got != want {
				t.Errorf("%d → %v", id, got)
			}
		}
	})
	t.Run("OCSF 1.0 Security Finding: finding, top-level attacks, state_id, account_uid", func(t *testing.T) {
		a := one(t, "ocsf", `{"class_uid":2001,"time":1763629831000,"severity_id":4,"state_id":4,"finding":{"uid":"u-1","title":"t"},`+
			`"attacks":[{"tactics":[{"name":"Exfiltration","uid":"TA0010"}]}],"cloud":{"region":"eu-west-1","account_uid":"111122223333"},"resources":[{"uid":"r-1"}]}`)
		if a.SourceID != "u-1" || a.Name != "t" || a.Status != alert.StatusResolved || stages(a.Tactics...) != stages(killchain.Exfiltration) {
			t.Fatalf("%+v", a)
		}
		if r := a.Resources[0]; r.Account != "111122223333" || r.Region != "eu-west-1" {
			t.Errorf("resource %+v, want the cloud's account and region", r)
		}
		rejected(t, "ocsf", `{"class_uid":2001,"time":1763629831000,"severity_id":4}`, "finding_info")
	})
	t.Run("other classes are rejected", func(t *testing.T) {
		rejected(t, "ocsf", fmt.Sprintf(f, "2003", "2", "", 1), "class_uid")
		rejected(t, "ocsf", `{"time":1}`, "class_uid")
	})
	t.Run("updatedAt from metadata.modified_time only", func(t *testing.T) {
		base := fmt.Sprintf(f, "2004", "2", "", 1)
		if a := one(t, "ocsf", base); !a.UpdatedAt.IsZero() {
			t.Errorf("no modified_time: updatedAt %v, want none (time is not a record update)", a.UpdatedAt)
		}
		with := strings.Replace(base, `"class_uid"`, `"metadata":{"uid":"m-1","modified_time":1763630000000},"class_uid"`, 1)
		if a := one(t, "ocsf", with); !a.UpdatedAt.Equal(time.UnixMilli(1763630000000)) {
			t.Errorf("updatedAt %v, want modified_time", a.UpdatedAt)
		}
		bad := strings.Replace(base, `"class_uid"`, `"metadata":{"modified_time":-1},"class_uid"`, 1)
		if a := one(t, "ocsf", bad); !a.UpdatedAt.IsZero() {
			t.Errorf("unusable modified_time: updatedAt %v, want none", a.UpdatedAt)
		}
	})
}

// GuardDuty's updatedAt and Security Hub's UpdatedAt are when the source
// last updated its record: kept as UpdatedAt even when the sighting times
// are given, and a malformed one is refused like the other times.
func TestRecordUpdatedAt(t *testing.T) {
	body := strings.Replace(gd("Recon:EC2/Portscan", "5", "false", "{}", `"1"`), `"title":"t",`, `"title":"t","updatedAt":"2026-11-20T08:10:00.000Z",`, 1)
	g := one(t, "guardduty", body)
	if !g.LastSeen.Equal(time.Date(2026, 11, 20, 8, 5, 0, 0, time.UTC)) || !g.UpdatedAt.Equal(time.Date(2026, 11, 20, 8, 10, 0, 0, time.UTC)) {
		t.Errorf("guardduty: lastSeen %v updatedAt %v, want eventLastSeen and the finding's updatedAt", g.LastSeen, g.UpdatedAt)
	}
	rejected(t, "guardduty", strings.Replace(body, "2026-11-20T08:10:00.000Z", "later", 1), "updatedAt")
	sh := one(t, "securityhub", asff(`,"Severity":{"Label":"LOW"},"LastObservedAt":"2026-11-20T08:30:00Z"`))
	if !sh.LastSeen.Equal(time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)) || !sh.UpdatedAt.Equal(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("securityhub: lastSeen %v updatedAt %v", sh.LastSeen, sh.UpdatedAt)
	}
	rejected(t, "securityhub", strings.Replace(asff(`,"Severity":{"Label":"LOW"},"LastObservedAt":"2026-11-20T08:30:00Z"`),
		`"UpdatedAt":"2026-11-20T09:00:00Z"`, `"UpdatedAt":"yesterday"`, 1), "UpdatedAt")
}

func TestGeneric(t *testing.T) {
	ok := `{"id":"g","type":"T","severity":"HIGH","firstSeen":"2026-11-20T08:00:00+01:00","tactics":["Command and Control","TA0043"],"resources":[{"id":"arn:aws:ec2:us-east-1:1:instance/i-0123456789abcdef0"}],"entities":[{"type":"IP","value":"::ffff:203.0.113.7"},{"type":"host","value":"Web-1.Corp.Example"}]}`
	a := one(t, "generic", ok)
	if a.Severity != alert.High || !a.FirstSeen.Equal(time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)) ||
		stages(a.Tactics...) != stages(killchain.PreAttack, killchain.CommandAndControl) || a.Resources[0].ID != "i-0123456789abcdef0" {
		t.Fatalf("%+v", a)
	}
	if a.Entities[0].Value != "203.0.113.7" || !a.Entities[0].Public || a.Entities[1].Value != "web-1" {
		t.Fatalf("entities %+v", a.Entities)
	}
	tests := map[string]string{
		`{"type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`:                                                      "id",
		`{"id":"g","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`:                                                        "type",
		`{"id":"g","type":"T","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`:                                                              "severity",
		`{"id":"g","type":"T","severity":"low","resources":[{"id":"r"}]}`:                                                                                "firstSeen",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z"}`:                                                                      "resources",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"name":"x"}]}`:                                           "resources[0].id",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"status":"Open"}`:                             "status",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"entities":[{"type":"x","value":"v"}]}`:       "entities[0].type",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"entities":[{"type":"ip"}]}`:                  "entities[0].value",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T09:00:00Z","lastSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`:           "lastSeen",
		`{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":{"id":"r"}}`:                                               "resources",
		`{"id":"` + strings.Repeat("x", alert.MaxIDLen+1) + `","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}]}`: "id",
	}
	for body, field := range tests {
		t.Run(field, func(t *testing.T) { rejected(t, "generic", body, field) })
	}
}

// Vendor formats are trimmed to the field limits; the generic format is
// validated strictly and names the field.
func TestFieldLimits(t *testing.T) {
	long := strings.Repeat("é", alert.MaxDescriptionLen)
	ev := fmt.Sprintf(`{"rule":"R","priority":"Notice","time":"2026-11-20T09:10:31Z","hostname":"h","output":%q}`, long)
	a := one(t, "falco", ev)
	if len(a.Description) > alert.MaxDescriptionLen || !strings.HasPrefix(long, a.Description) {
		t.Fatalf("description of %d bytes", len(a.Description))
	}
	var ips []string
	for i := range alert.MaxEntities + 20 {
		ips = append(ips, fmt.Sprintf(`{"Type":"ip","Address":"198.51.%d.%d"}`, i/250, i%250))
	}
	d := one(t, "defender", defender(`,"Severity":"Low","Description":`+fmt.Sprintf("%q", long)+`,"Entities":[`+strings.Join(ips, ",")+`]`))
	if len(d.Entities) != alert.MaxEntities || len(d.Description) > alert.MaxDescriptionLen {
		t.Fatalf("entities %d description %d", len(d.Entities), len(d.Description))
	}
	rejected(t, "generic", `{"id":"g","type":"T","severity":"low","firstSeen":"2026-11-20T08:00:00Z","resources":[{"id":"r"}],"description":`+fmt.Sprintf("%q", strings.Repeat("x", alert.MaxDescriptionLen+1))+`}`, "description")
	rejected(t, "guardduty", gd(strings.Repeat("T", alert.MaxTypeLen+1), "5", "false", "{}", "1"), "type")
}

func TestParseLimit(t *testing.T) {
	item := `{"status":"firing","labels":{"alertname":"A","instance":"h"},"startsAt":"2026-11-20T08:00:00Z","fingerprint":"%d"}`
	var alerts []string
	for i := range 6 {
		alerts = append(alerts, fmt.Sprintf(item, i))
	}
	group := `{"version":"4","alerts":[` + strings.Join(alerts, ",") + `]}`
	if _, err := normalize.ParseLimit("alertmanager", []byte(group), receivedAt, 5); !errors.Is(err, normalize.ErrTooManyAlerts) {
		t.Fatalf("6 alerts, limit 5: %v", err)
	}
	if rs, err := normalize.ParseLimit("alertmanager", []byte(group), receivedAt, 6); err != nil || len(rs) != 6 {
		t.Fatalf("6 alerts, limit 6: %d %v", len(rs), err)
	}
	if _, err := normalize.ParseLimit("generic", []byte(`[{},{},{}]`), receivedAt, 2); !errors.Is(err, normalize.ErrTooManyAlerts) {
		t.Fatalf("3 items, limit 2: %v", err)
	}
	if _, err := normalize.ParseLimit("alertmanager", []byte("["+group+","+group+"]"), receivedAt, 10); !errors.Is(err, normalize.ErrTooManyAlerts) {
		t.Fatalf("2 groups of 6, limit 10: %v", err)
	}
}
