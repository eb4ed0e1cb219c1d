package normalize

// The fast Security Hub decode: asffEvent and asffFinding read by
// fastDecoder, with encoding/json as the fallback whenever it gives up (see
// guardduty_fast.go for the contract). TestSecurityHubFastMatchesUnmarshal
// and FuzzSecurityHubFastDecode compare the two.

// decodeASFFEventFast decodes obj into the zero *ev as json.Unmarshal
// would; false means it gave up and *ev is to be discarded.
func decodeASFFEventFast(obj []byte, ev *asffEvent) bool {
	d := fastDecoder{b: obj}
	return d.run(func() { d.asffEvent(ev) })
}

// decodeASFFFindingFast is decodeASFFEventFast for one bare finding.
func decodeASFFFindingFast(obj []byte, f *asffFinding) bool {
	d := fastDecoder{b: obj}
	return d.run(func() { d.asffFinding(f) })
}

var (
	asffEventKeys   = []string{"detail-type", "detail"}
	asffDetailKeys  = []string{"findings"}
	asffFindingKeys = []string{"Id", "ProductArn", "ProductName", "GeneratorId", "AwsAccountId", "Region",
		"Types", "FirstObservedAt", "LastObservedAt", "CreatedAt", "UpdatedAt", "Severity", "Title",
		"Description", "Remediation", "ProductFields", "Resources", "Network", "Action", "Process",
		"Malware", "ThreatIntelIndicators", "Workflow", "WorkflowState", "RecordState", "Sample"}
	asffSeverityKeys       = []string{"Label", "Normalized"}
	asffRemediationKeys    = []string{"Recommendation"}
	asffRecommendationKeys = []string{"Text", "Url"}
	asffResourceKeys       = []string{"Type", "Id", "Region", "Tags", "Details"}
	asffDetailsKeys        = []string{"AwsIamAccessKey", "AwsIamUser", "AwsIamRole"}
	asffAccessKeyKeys      = []string{"PrincipalId", "PrincipalName", "PrincipalType", "AccessKeyId"}
	asffUserKeys           = []string{"UserName"}
	asffRoleKeys           = []string{"RoleName"}
	asffNetworkKeys        = []string{"SourceIpV4", "SourceIpV6", "SourceDomain", "DestinationIpV4", "DestinationIpV6", "DestinationDomain"}
	asffActionKeys         = []string{"NetworkConnectionAction", "AwsApiCallAction", "DnsRequestAction", "PortProbeAction"}
	asffRemoteIPOnlyKeys   = []string{"RemoteIpDetails"}
	asffAPICallKeys        = []string{"RemoteIpDetails", "DomainDetails"}
	asffDomainKeys         = []string{"Domain"}
	asffPortProbeKeys      = []string{"PortProbeDetails"}
	asffIPKeys             = []string{"IpAddressV4"}
	asffNamePathKeys       = []string{"Name", "Path"}
	asffIndicatorKeys      = []string{"Type", "Value"}
	asffWorkflowKeys       = []string{"Status"}
)

func (d *fastDecoder) asffEvent(ev *asffEvent) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "detail-type":
			d.once(&seen, 0)
			d.str(&ev.DetailType)
		case "detail":
			d.once(&seen, 1)
			det := fastNew(d, &ev.Detail)
			if det == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "findings" {
					d.unknown(k, asffDetailKeys)
					return
				}
				d.once(&s, 0)
				fastElems(d, &det.Findings, func(i int) { d.asffFinding(&det.Findings[i]) })
			})
		default:
			d.unknown(k, asffEventKeys)
		}
	})
}

// stringMap decodes an object of strings into a map as encoding/json does:
// null sets nil, an object makes the map if nil, a null member is stored
// as "", a repeated key keeps the last value.
func (d *fastDecoder) stringMap(p *map[string]string) { fastMap(d, p, d.str) }

// flexMap is stringMap for flexString values (each member's raw value goes
// to flexString.UnmarshalJSON, null included).
func (d *fastDecoder) flexMap(p *map[string]flexString) {
	fastMap(d, p, func(v *flexString) { d.unmarshaler(v) })
}

// fastMap decodes an object into a map with value reading each member, as
// encoding/json fills a map: null sets nil, an object makes the map if nil.
func fastMap[V any](d *fastDecoder, p *map[string]V, value func(*V)) {
	if d.null() {
		*p = nil
		return
	}
	if d.peek() != '{' {
		d.bail()
	}
	if *p == nil {
		*p = map[string]V{}
	}
	m := *p
	d.object(func(k []byte) {
		var v V
		value(&v)
		m[string(k)] = v
	})
}

func (d *fastDecoder) asffIP(p **asffIP) {
	if ip := fastNew(d, p); ip != nil {
		d.strObject(asffIPKeys, &ip.IPAddressV4)
	}
}

func (d *fastDecoder) asffRemoteIPOnly(p **asffIP) {
	var s uint64
	d.object(func(k []byte) {
		if string(k) != "RemoteIpDetails" {
			d.unknown(k, asffRemoteIPOnlyKeys)
			return
		}
		d.once(&s, 0)
		d.asffIP(p)
	})
}

func (d *fastDecoder) asffFinding(f *asffFinding) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "Id":
			d.once(&seen, 0)
			d.str(&f.ID)
		case "ProductArn":
			d.once(&seen, 1)
			d.str(&f.ProductArn)
		case "ProductName":
			d.once(&seen, 2)
			d.str(&f.ProductName)
		case "GeneratorId":
			d.once(&seen, 3)
			d.str(&f.GeneratorID)
		case "AwsAccountId":
			d.once(&seen, 4)
			d.str(&f.AwsAccountID)
		case "Region":
			d.once(&seen, 5)
			d.str(&f.Region)
		case "Types":
			d.once(&seen, 6)
			d.strings(&f.Types)
		case "FirstObservedAt":
			d.once(&seen, 7)
			d.str(&f.FirstObservedAt)
		case "LastObservedAt":
			d.once(&seen, 8)
			d.str(&f.LastObservedAt)
		case "CreatedAt":
			d.once(&seen, 9)
			d.str(&f.CreatedAt)
		case "UpdatedAt":
			d.once(&seen, 10)
			d.str(&f.UpdatedAt)
		case "Severity":
			d.once(&seen, 11)
			sv := fastNew(d, &f.Severity)
			if sv == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "Label":
					d.once(&s, 0)
					d.str(&sv.Label)
				case "Normalized":
					d.once(&s, 1)
					d.float(&sv.Normalized)
				default:
					d.unknown(k, asffSeverityKeys)
				}
			})
		case "Title":
			d.once(&seen, 12)
			d.str(&f.Title)
		case "Description":
			d.once(&seen, 13)
			d.str(&f.Description)
		case "Remediation":
			d.once(&seen, 14)
			r := fastNew(d, &f.Remediation)
			if r == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "Recommendation" {
					d.unknown(k, asffRemediationKeys)
					return
				}
				d.once(&s, 0)
				if rec := fastNew(d, &r.Recommendation); rec != nil {
					d.strObject(asffRecommendationKeys, &rec.Text, &rec.URL)
				}
			})
		case "ProductFields":
			d.once(&seen, 15)
			d.flexMap(&f.ProductFields)
		case "Resources":
			d.once(&seen, 16)
			fastElems(d, &f.Resources, func(i int) { d.asffResource(f, i) })
		case "Network":
			d.once(&seen, 17)
			if n := fastNew(d, &f.Network); n != nil {
				d.strObject(asffNetworkKeys, &n.SourceIPV4, &n.SourceIPV6, &n.SourceDomain,
					&n.DestinationIPV4, &n.DestinationIPV6, &n.DestinationDomain)
			}
		case "Action":
			d.once(&seen, 18)
			d.asffAction(f)
		case "Process":
			d.once(&seen, 19)
			if p := fastNew(d, &f.Process); p != nil {
				d.strObject(asffNamePathKeys, &p.Name, &p.Path)
			}
		case "Malware":
			d.once(&seen, 20)
			fastElems(d, &f.Malware, func(i int) {
				m := &f.Malware[i]
				d.strObject(asffNamePathKeys, &m.Name, &m.Path)
			})
		case "ThreatIntelIndicators":
			d.once(&seen, 21)
			fastElems(d, &f.ThreatIntelIndicators, func(i int) {
				t := &f.ThreatIntelIndicators[i]
				d.strObject(asffIndicatorKeys, &t.Type, &t.Value)
			})
		case "Workflow":
			d.once(&seen, 22)
			if w := fastNew(d, &f.Workflow); w != nil {
				d.strObject(asffWorkflowKeys, &w.Status)
			}
		case "WorkflowState":
			d.once(&seen, 23)
			d.str(&f.WorkflowState)
		case "RecordState":
			d.once(&seen, 24)
			d.str(&f.RecordState)
		case "Sample":
			d.once(&seen, 25)
			d.unmarshaler(&f.Sample)
		default:
			d.unknown(k, asffFindingKeys)
		}
	})
}

func (d *fastDecoder) asffResource(f *asffFinding, i int) {
	r := &f.Resources[i]
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "Type":
			d.once(&s, 0)
			d.str(&r.Type)
		case "Id":
			d.once(&s, 1)
			d.str(&r.ID)
		case "Region":
			d.once(&s, 2)
			d.str(&r.Region)
		case "Tags":
			d.once(&s, 3)
			d.stringMap(&r.Tags)
		case "Details":
			d.once(&s, 4)
			det := fastNew(d, &r.Details)
			if det == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "AwsIamAccessKey":
					d.once(&s, 0)
					if a := fastNew(d, &det.AwsIamAccessKey); a != nil {
						d.strObject(asffAccessKeyKeys, &a.PrincipalID, &a.PrincipalName, &a.PrincipalType, &a.AccessKeyID)
					}
				case "AwsIamUser":
					d.once(&s, 1)
					if u := fastNew(d, &det.AwsIamUser); u != nil {
						d.strObject(asffUserKeys, &u.UserName)
					}
				case "AwsIamRole":
					d.once(&s, 2)
					if ro := fastNew(d, &det.AwsIamRole); ro != nil {
						d.strObject(asffRoleKeys, &ro.RoleName)
					}
				default:
					d.unknown(k, asffDetailsKeys)
				}
			})
		default:
			d.unknown(k, asffResourceKeys)
		}
	})
}

func (d *fastDecoder) asffAction(f *asffFinding) {
	act := fastNew(d, &f.Action)
	if act == nil {
		return
	}
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "NetworkConnectionAction":
			d.once(&s, 0)
			if n := fastNew(d, &act.NetworkConnectionAction); n != nil {
				d.asffRemoteIPOnly(&n.RemoteIPDetails)
			}
		case "AwsApiCallAction":
			d.once(&s, 1)
			c := fastNew(d, &act.AwsAPICallAction)
			if c == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "RemoteIpDetails":
					d.once(&s, 0)
					d.asffIP(&c.RemoteIPDetails)
				case "DomainDetails":
					d.once(&s, 1)
					if dd := fastNew(d, &c.DomainDetails); dd != nil {
						d.strObject(asffDomainKeys, &dd.Domain)
					}
				default:
					d.unknown(k, asffAPICallKeys)
				}
			})
		case "DnsRequestAction":
			d.once(&s, 2)
			if n := fastNew(d, &act.DNSRequestAction); n != nil {
				d.strObject(asffDomainKeys, &n.Domain)
			}
		case "PortProbeAction":
			d.once(&s, 3)
			p := fastNew(d, &act.PortProbeAction)
			if p == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "PortProbeDetails" {
					d.unknown(k, asffPortProbeKeys)
					return
				}
				d.once(&s, 0)
				fastElems(d, &p.PortProbeDetails, func(i int) {
					d.asffRemoteIPOnly(&p.PortProbeDetails[i].RemoteIPDetails)
				})
			})
		default:
			d.unknown(k, asffActionKeys)
		}
	})
}
