package normalize

// The fast GuardDuty decode: gdEvent read in one pass by fastDecoder instead
// of json.Unmarshal (which scans the payload twice and reflects over a deep
// struct). It fills exactly the fields json.Unmarshal would and gives up on
// anything unusual; parseGuardDuty then falls back to json.Unmarshal, so
// results never depend on which path ran. TestGuardDutyFastMatchesUnmarshal
// and FuzzGuardDutyFastDecode compare the two.

// decodeGuardDutyFast decodes obj into the zero *ev as json.Unmarshal
// would; false means it gave up and *ev is to be discarded.
func decodeGuardDutyFast(obj []byte, ev *gdEvent) bool {
	d := fastDecoder{b: obj}
	return d.run(func() { d.gdEvent(ev) })
}

// Member names per object, for the case-insensitive-match check on
// unknown keys.
var (
	gdFindingKeys = []string{"accountId", "region", "partition", "id", "arn", "type", "title",
		"description", "severity", "createdAt", "updatedAt", "resource", "service"}
	gdEventKeys        = append([]string{"detail-type", "detail"}, gdFindingKeys...)
	gdTagKeys          = []string{"key", "value"}
	gdAccessKeyKeys    = []string{"accessKeyId", "principalId", "userName", "userType"}
	gdResourceKeys     = []string{"resourceType", "accessKeyDetails", "instanceDetails", "s3BucketDetails", "eksClusterDetails", "kubernetesDetails", "rdsDbInstanceDetails", "lambdaDetails", "ecsClusterDetails"}
	gdInstanceKeys     = []string{"instanceId", "availabilityZone", "iamInstanceProfile", "networkInterfaces", "tags"}
	gdArnKeys          = []string{"arn"}
	gdNICKeys          = []string{"privateDnsName", "privateIpAddress", "privateIpAddresses"}
	gdPrivateIPKeys    = []string{"privateDnsName", "privateIpAddress"}
	gdNameArnTagsKeys  = []string{"name", "arn", "tags"}
	gdKubernetesKeys   = []string{"kubernetesUserDetails", "kubernetesWorkloadDetails"}
	gdUsernameKeys     = []string{"username"}
	gdWorkloadKeys     = []string{"name", "namespace", "containers"}
	gdContainerKeys    = []string{"name", "image"}
	gdRdsKeys          = []string{"dbInstanceIdentifier", "dbInstanceArn", "tags"}
	gdLambdaKeys       = []string{"functionName", "functionArn", "tags"}
	gdRemoteIPKeys     = []string{"ipAddressV4", "ipAddressV6", "organization"}
	gdAsnKeys          = []string{"asn"}
	gdServiceKeys      = []string{"action", "additionalInfo", "detection", "runtimeDetails", "ebsVolumeScanDetails", "eventFirstSeen", "eventLastSeen", "archived", "count"}
	gdActionKeys       = []string{"actionType", "networkConnectionAction", "portProbeAction", "dnsRequestAction", "awsApiCallAction", "kubernetesApiCallAction"}
	gdRemoteIPOnlyKeys = []string{"remoteIpDetails"}
	gdPortProbeKeys    = []string{"portProbeDetails"}
	gdDomainKeys       = []string{"domain"}
	gdAPICallKeys      = []string{"remoteIpDetails", "domainDetails"}
	gdSampleKeys       = []string{"sample"}
	gdDetectionKeys    = []string{"sequence"}
	gdSequenceKeys     = []string{"sequenceIndicators"}
	gdIndicatorKeys    = []string{"key", "values"}
	gdRuntimeKeys      = []string{"process"}
	gdProcessKeys      = []string{"name", "executablePath", "executableSha256"}
	gdEbsKeys          = []string{"scanDetections"}
	gdScanKeys         = []string{"threatDetectedByName"}
	gdThreatByNameKeys = []string{"threatNames"}
	gdThreatNameKeys   = []string{"filePaths"}
	gdFilePathKeys     = []string{"hash"}
)

// fastNew prepares *p for an object member: on null it sets nil and
// returns nil; otherwise it allocates *p if needed and returns it (the
// caller decodes the object into it).
func fastNew[T any](d *fastDecoder, p **T) *T {
	if d.null() {
		*p = nil
		return nil
	}
	if *p == nil {
		*p = new(T)
	}
	return *p
}

// fastElems decodes an array of objects into *p: null sets nil, [] gives
// an empty non-nil slice, a null element stays zero and elem decodes each
// object element (by index) — as encoding/json fills a nil slice.
func fastElems[T any](d *fastDecoder, p *[]T, elem func(i int)) {
	if d.null() {
		*p = nil
		return
	}
	*p = []T{}
	d.array(func() {
		var zero T
		*p = append(*p, zero)
		if !d.null() {
			elem(len(*p) - 1)
		}
	})
}

// strObject decodes an object whose known members are all strings:
// member names[i] goes to ptrs[i].
func (d *fastDecoder) strObject(names []string, ptrs ...*string) {
	var seen uint64
	d.object(func(k []byte) {
		for i, n := range names {
			if string(k) == n {
				d.once(&seen, uint(i))
				d.str(ptrs[i])
				return
			}
		}
		d.unknown(k, names)
	})
}

func (d *fastDecoder) gdEvent(ev *gdEvent) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "detail-type":
			d.once(&seen, 0)
			d.str(&ev.DetailType)
		case "detail":
			d.once(&seen, 1)
			if f := fastNew(d, &ev.Detail); f != nil {
				d.gdFinding(f)
			}
		default:
			if !d.gdFindingMember(&seen, 2, k, &ev.gdFinding) {
				d.unknown(k, gdEventKeys)
			}
		}
	})
}

func (d *fastDecoder) gdFinding(f *gdFinding) {
	var seen uint64
	d.object(func(k []byte) {
		if !d.gdFindingMember(&seen, 0, k, f) {
			d.unknown(k, gdFindingKeys)
		}
	})
}

// gdFindingMember decodes member k of a finding, using bits from base up
// in *seen; false means k is not a finding member.
func (d *fastDecoder) gdFindingMember(seen *uint64, base uint, k []byte, f *gdFinding) bool {
	switch string(k) {
	case "accountId":
		d.once(seen, base+0)
		d.str(&f.AccountID)
	case "region":
		d.once(seen, base+1)
		d.str(&f.Region)
	case "partition":
		d.once(seen, base+2)
		d.str(&f.Partition)
	case "id":
		d.once(seen, base+3)
		d.str(&f.ID)
	case "arn":
		d.once(seen, base+4)
		d.str(&f.Arn)
	case "type":
		d.once(seen, base+5)
		d.str(&f.Type)
	case "title":
		d.once(seen, base+6)
		d.str(&f.Title)
	case "description":
		d.once(seen, base+7)
		d.str(&f.Description)
	case "severity":
		d.once(seen, base+8)
		d.float(&f.Severity)
	case "createdAt":
		d.once(seen, base+9)
		d.str(&f.CreatedAt)
	case "updatedAt":
		d.once(seen, base+10)
		d.str(&f.UpdatedAt)
	case "resource":
		d.once(seen, base+11)
		if !d.null() {
			d.gdResource(&f.Resource)
		}
	case "service":
		d.once(seen, base+12)
		if !d.null() {
			d.gdService(&f.Service)
		}
	default:
		return false
	}
	return true
}

func (d *fastDecoder) gdTags(p *[]gdTag) {
	fastElems(d, p, func(i int) {
		t := &(*p)[i]
		d.strObject(gdTagKeys, &t.Key, &t.Value)
	})
}

func (d *fastDecoder) gdResource(r *gdResource) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "resourceType":
			d.once(&seen, 0)
			d.str(&r.ResourceType)
		case "accessKeyDetails":
			d.once(&seen, 1)
			if a := fastNew(d, &r.AccessKeyDetails); a != nil {
				d.strObject(gdAccessKeyKeys, &a.AccessKeyID, &a.PrincipalID, &a.UserName, &a.UserType)
			}
		case "instanceDetails":
			d.once(&seen, 2)
			in := fastNew(d, &r.InstanceDetails)
			if in == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "instanceId":
					d.once(&s, 0)
					d.str(&in.InstanceID)
				case "availabilityZone":
					d.once(&s, 1)
					d.str(&in.AvailabilityZone)
				case "iamInstanceProfile":
					d.once(&s, 2)
					if p := fastNew(d, &in.IamInstanceProfile); p != nil {
						d.strObject(gdArnKeys, &p.Arn)
					}
				case "networkInterfaces":
					d.once(&s, 3)
					fastElems(d, &in.NetworkInterfaces, func(i int) {
						ni := &in.NetworkInterfaces[i]
						var s uint64
						d.object(func(k []byte) {
							switch string(k) {
							case "privateDnsName":
								d.once(&s, 0)
								d.str(&ni.PrivateDNSName)
							case "privateIpAddress":
								d.once(&s, 1)
								d.str(&ni.PrivateIPAddress)
							case "privateIpAddresses":
								d.once(&s, 2)
								fastElems(d, &ni.PrivateIPAddresses, func(j int) {
									p := &ni.PrivateIPAddresses[j]
									d.strObject(gdPrivateIPKeys, &p.PrivateDNSName, &p.PrivateIPAddress)
								})
							default:
								d.unknown(k, gdNICKeys)
							}
						})
					})
				case "tags":
					d.once(&s, 4)
					d.gdTags(&in.Tags)
				default:
					d.unknown(k, gdInstanceKeys)
				}
			})
		case "s3BucketDetails":
			d.once(&seen, 3)
			fastElems(d, &r.S3BucketDetails, func(i int) {
				b := &r.S3BucketDetails[i]
				d.nameArnTags(&b.Name, &b.Arn, &b.Tags)
			})
		case "eksClusterDetails":
			d.once(&seen, 4)
			if e := fastNew(d, &r.EksClusterDetails); e != nil {
				d.nameArnTags(&e.Name, &e.Arn, &e.Tags)
			}
		case "kubernetesDetails":
			d.once(&seen, 5)
			kd := fastNew(d, &r.KubernetesDetails)
			if kd == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "kubernetesUserDetails":
					d.once(&s, 0)
					if u := fastNew(d, &kd.KubernetesUserDetails); u != nil {
						d.strObject(gdUsernameKeys, &u.Username)
					}
				case "kubernetesWorkloadDetails":
					d.once(&s, 1)
					w := fastNew(d, &kd.KubernetesWorkloadDetails)
					if w == nil {
						return
					}
					var s uint64
					d.object(func(k []byte) {
						switch string(k) {
						case "name":
							d.once(&s, 0)
							d.str(&w.Name)
						case "namespace":
							d.once(&s, 1)
							d.str(&w.Namespace)
						case "containers":
							d.once(&s, 2)
							fastElems(d, &w.Containers, func(i int) {
								ct := &w.Containers[i]
								d.strObject(gdContainerKeys, &ct.Name, &ct.Image)
							})
						default:
							d.unknown(k, gdWorkloadKeys)
						}
					})
				default:
					d.unknown(k, gdKubernetesKeys)
				}
			})
		case "rdsDbInstanceDetails":
			d.once(&seen, 6)
			if db := fastNew(d, &r.RdsDbInstanceDetails); db != nil {
				d.twoStrTags(gdRdsKeys, &db.DbInstanceIdentifier, &db.DbInstanceArn, &db.Tags)
			}
		case "lambdaDetails":
			d.once(&seen, 7)
			if l := fastNew(d, &r.LambdaDetails); l != nil {
				d.twoStrTags(gdLambdaKeys, &l.FunctionName, &l.FunctionArn, &l.Tags)
			}
		case "ecsClusterDetails":
			d.once(&seen, 8)
			if e := fastNew(d, &r.EcsClusterDetails); e != nil {
				d.nameArnTags(&e.Name, &e.Arn, &e.Tags)
			}
		default:
			d.unknown(k, gdResourceKeys)
		}
	})
}

// nameArnTags decodes {"name", "arn", "tags"}.
func (d *fastDecoder) nameArnTags(name, arn *string, tags *[]gdTag) {
	d.twoStrTags(gdNameArnTagsKeys, name, arn, tags)
}

// twoStrTags decodes an object of two strings (names[0], names[1]) and
// tags (names[2]).
func (d *fastDecoder) twoStrTags(names []string, a, b *string, tags *[]gdTag) {
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case names[0]:
			d.once(&s, 0)
			d.str(a)
		case names[1]:
			d.once(&s, 1)
			d.str(b)
		case names[2]:
			d.once(&s, 2)
			d.gdTags(tags)
		default:
			d.unknown(k, names)
		}
	})
}

func (d *fastDecoder) gdRemoteIP(p **gdRemoteIP) {
	r := fastNew(d, p)
	if r == nil {
		return
	}
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "ipAddressV4":
			d.once(&s, 0)
			d.str(&r.IPAddressV4)
		case "ipAddressV6":
			d.once(&s, 1)
			d.str(&r.IPAddressV6)
		case "organization":
			d.once(&s, 2)
			o := fastNew(d, &r.Organization)
			if o == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) == "asn" {
					d.once(&s, 0)
					d.unmarshaler(&o.Asn)
					return
				}
				d.unknown(k, gdAsnKeys)
			})
		default:
			d.unknown(k, gdRemoteIPKeys)
		}
	})
}

// remoteIPOnly decodes {"remoteIpDetails": …}.
func (d *fastDecoder) remoteIPOnly(p **gdRemoteIP) {
	var s uint64
	d.object(func(k []byte) {
		if string(k) == "remoteIpDetails" {
			d.once(&s, 0)
			d.gdRemoteIP(p)
			return
		}
		d.unknown(k, gdRemoteIPOnlyKeys)
	})
}

func (d *fastDecoder) gdService(sv *gdService) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "action":
			d.once(&seen, 0)
			if !d.null() {
				d.gdAction(sv)
			}
		case "additionalInfo":
			d.once(&seen, 1)
			ai := fastNew(d, &sv.AdditionalInfo)
			if ai == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) == "sample" {
					d.once(&s, 0)
					d.unmarshaler(&ai.Sample)
					return
				}
				d.unknown(k, gdSampleKeys)
			})
		case "detection":
			d.once(&seen, 2)
			dt := fastNew(d, &sv.Detection)
			if dt == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "sequence" {
					d.unknown(k, gdDetectionKeys)
					return
				}
				d.once(&s, 0)
				sq := fastNew(d, &dt.Sequence)
				if sq == nil {
					return
				}
				var s uint64
				d.object(func(k []byte) {
					if string(k) != "sequenceIndicators" {
						d.unknown(k, gdSequenceKeys)
						return
					}
					d.once(&s, 0)
					fastElems(d, &sq.SequenceIndicators, func(i int) {
						ind := &sq.SequenceIndicators[i]
						var s uint64
						d.object(func(k []byte) {
							switch string(k) {
							case "key":
								d.once(&s, 0)
								d.str(&ind.Key)
							case "values":
								d.once(&s, 1)
								d.strings(&ind.Values)
							default:
								d.unknown(k, gdIndicatorKeys)
							}
						})
					})
				})
			})
		case "runtimeDetails":
			d.once(&seen, 3)
			rt := fastNew(d, &sv.RuntimeDetails)
			if rt == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "process" {
					d.unknown(k, gdRuntimeKeys)
					return
				}
				d.once(&s, 0)
				if p := fastNew(d, &rt.Process); p != nil {
					d.strObject(gdProcessKeys, &p.Name, &p.ExecutablePath, &p.ExecutableSha256)
				}
			})
		case "ebsVolumeScanDetails":
			d.once(&seen, 4)
			d.gdEbs(sv)
		case "eventFirstSeen":
			d.once(&seen, 5)
			d.str(&sv.EventFirstSeen)
		case "eventLastSeen":
			d.once(&seen, 6)
			d.str(&sv.EventLastSeen)
		case "archived":
			d.once(&seen, 7)
			d.unmarshaler(&sv.Archived)
		case "count":
			d.once(&seen, 8)
			d.int(&sv.Count)
		default:
			d.unknown(k, gdServiceKeys)
		}
	})
}

func (d *fastDecoder) gdEbs(sv *gdService) {
	ebs := fastNew(d, &sv.EbsVolumeScanDetails)
	if ebs == nil {
		return
	}
	var s uint64
	d.object(func(k []byte) {
		if string(k) != "scanDetections" {
			d.unknown(k, gdEbsKeys)
			return
		}
		d.once(&s, 0)
		sd := fastNew(d, &ebs.ScanDetections)
		if sd == nil {
			return
		}
		var s uint64
		d.object(func(k []byte) {
			if string(k) != "threatDetectedByName" {
				d.unknown(k, gdScanKeys)
				return
			}
			d.once(&s, 0)
			tb := fastNew(d, &sd.ThreatDetectedByName)
			if tb == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "threatNames" {
					d.unknown(k, gdThreatByNameKeys)
					return
				}
				d.once(&s, 0)
				fastElems(d, &tb.ThreatNames, func(i int) {
					tn := &tb.ThreatNames[i]
					var s uint64
					d.object(func(k []byte) {
						if string(k) != "filePaths" {
							d.unknown(k, gdThreatNameKeys)
							return
						}
						d.once(&s, 0)
						fastElems(d, &tn.FilePaths, func(j int) {
							fp := &tn.FilePaths[j]
							d.strObject(gdFilePathKeys, &fp.Hash)
						})
					})
				})
			})
		})
	})
}

func (d *fastDecoder) gdAction(sv *gdService) {
	act := &sv.Action
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "actionType":
			d.once(&s, 0)
			d.str(&act.ActionType)
		case "networkConnectionAction":
			d.once(&s, 1)
			if n := fastNew(d, &act.NetworkConnectionAction); n != nil {
				d.remoteIPOnly(&n.RemoteIPDetails)
			}
		case "portProbeAction":
			d.once(&s, 2)
			p := fastNew(d, &act.PortProbeAction)
			if p == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "portProbeDetails" {
					d.unknown(k, gdPortProbeKeys)
					return
				}
				d.once(&s, 0)
				fastElems(d, &p.PortProbeDetails, func(i int) {
					d.remoteIPOnly(&p.PortProbeDetails[i].RemoteIPDetails)
				})
			})
		case "dnsRequestAction":
			d.once(&s, 3)
			if n := fastNew(d, &act.DNSRequestAction); n != nil {
				d.strObject(gdDomainKeys, &n.Domain)
			}
		case "awsApiCallAction":
			d.once(&s, 4)
			c := fastNew(d, &act.AwsAPICallAction)
			if c == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "remoteIpDetails":
					d.once(&s, 0)
					d.gdRemoteIP(&c.RemoteIPDetails)
				case "domainDetails":
					d.once(&s, 1)
					if dd := fastNew(d, &c.DomainDetails); dd != nil {
						d.strObject(gdDomainKeys, &dd.Domain)
					}
				default:
					d.unknown(k, gdAPICallKeys)
				}
			})
		case "kubernetesApiCallAction":
			d.once(&s, 5)
			if n := fastNew(d, &act.KubernetesAPICallAction); n != nil {
				d.remoteIPOnly(&n.RemoteIPDetails)
			}
		default:
			d.unknown(k, gdActionKeys)
		}
	})
}
