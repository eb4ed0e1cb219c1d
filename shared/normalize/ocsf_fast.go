package normalize

// The fast OCSF decode: ocsfFinding read by fastDecoder, with
// encoding/json as the fallback whenever it gives up (see
// guardduty_fast.go for the contract). TestOCSFFastMatchesUnmarshal and
// FuzzOCSFFastDecode compare the two.

// decodeOCSFFast decodes obj into the zero *f as json.Unmarshal would;
// false means it gave up and *f is to be discarded.
func decodeOCSFFast(obj []byte, f *ocsfFinding) bool {
	d := fastDecoder{b: obj}
	return d.run(func() { d.ocsfFinding(f) })
}

var (
	ocsfFindingKeys = []string{"class_uid", "time", "severity_id", "severity", "status_id", "status", "message",
		"count", "finding_info", "metadata", "cloud", "resources", "evidences", "observables", "remediation"}
	ocsfInfoKeys        = []string{"uid", "title", "desc", "types", "first_seen_time", "last_seen_time", "analytic", "attacks"}
	ocsfNamedKeys       = []string{"name", "uid"}
	ocsfAttackKeys      = []string{"tactic", "tactics", "technique", "sub_technique"}
	ocsfMetadataKeys    = []string{"uid", "modified_time"}
	ocsfCloudKeys       = []string{"region", "account"}
	ocsfResourceKeys    = []string{"uid", "name", "type", "region", "owner", "tags"}
	ocsfOwnerKeys       = []string{"account"}
	ocsfTagKeys         = []string{"name", "value"}
	ocsfEvidenceKeys    = []string{"src_endpoint", "dst_endpoint", "actor", "process", "query", "url"}
	ocsfEndpointKeys    = []string{"ip", "hostname", "domain", "name", "uid"}
	ocsfActorKeys       = []string{"user"}
	ocsfProcessKeys     = []string{"name", "file"}
	ocsfFileKeys        = []string{"path", "hashes"}
	ocsfHashKeys        = []string{"value"}
	ocsfQueryKeys       = []string{"hostname"}
	ocsfURLKeys         = []string{"url_string"}
	ocsfObservableKeys  = []string{"type_id", "value"}
	ocsfRemediationKeys = []string{"desc", "references"}
)

// intPtr decodes an integer into a new *int; null sets nil.
func (d *fastDecoder) intPtr(p **int) {
	if d.null() {
		*p = nil
		return
	}
	var n int
	d.int(&n)
	*p = &n
}

// ocsfNamedPtr decodes an ocsfNamed object into *p; null sets nil.
func (d *fastDecoder) ocsfNamedPtr(p **ocsfNamed) {
	if n := fastNew(d, p); n != nil {
		d.strObject(ocsfNamedKeys, &n.Name, &n.UID)
	}
}

func (d *fastDecoder) ocsfEndpoint(p **ocsfEndpoint) {
	if e := fastNew(d, p); e != nil {
		d.strObject(ocsfEndpointKeys, &e.IP, &e.Hostname, &e.Domain, &e.Name, &e.UID)
	}
}

func (d *fastDecoder) ocsfFinding(f *ocsfFinding) {
	var seen uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "class_uid":
			d.once(&seen, 0)
			d.intPtr(&f.ClassUID)
		case "time":
			d.once(&seen, 1)
			d.float(&f.Time)
		case "severity_id":
			d.once(&seen, 2)
			d.intPtr(&f.SeverityID)
		case "severity":
			d.once(&seen, 3)
			d.str(&f.Severity)
		case "status_id":
			d.once(&seen, 4)
			d.int(&f.StatusID)
		case "status":
			d.once(&seen, 5)
			d.str(&f.Status)
		case "message":
			d.once(&seen, 6)
			d.str(&f.Message)
		case "count":
			d.once(&seen, 7)
			d.int(&f.Count)
		case "finding_info":
			d.once(&seen, 8)
			d.ocsfInfo(f)
		case "metadata":
			d.once(&seen, 9)
			if m := fastNew(d, &f.Metadata); m != nil {
				var s uint64
				d.object(func(k []byte) {
					switch string(k) {
					case "uid":
						d.once(&s, 0)
						d.str(&m.UID)
					case "modified_time":
						d.once(&s, 1)
						d.float(&m.ModifiedTime)
					default:
						d.unknown(k, ocsfMetadataKeys)
					}
				})
			}
		case "cloud":
			d.once(&seen, 10)
			c := fastNew(d, &f.Cloud)
			if c == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "region":
					d.once(&s, 0)
					d.str(&c.Region)
				case "account":
					d.once(&s, 1)
					d.ocsfNamedPtr(&c.Account)
				default:
					d.unknown(k, ocsfCloudKeys)
				}
			})
		case "resources":
			d.once(&seen, 11)
			fastElems(d, &f.Resources, func(i int) { d.ocsfResource(f, i) })
		case "evidences":
			d.once(&seen, 12)
			fastElems(d, &f.Evidences, func(i int) { d.ocsfEvidence(f, i) })
		case "observables":
			d.once(&seen, 13)
			fastElems(d, &f.Observables, func(i int) {
				o := &f.Observables[i]
				var s uint64
				d.object(func(k []byte) {
					switch string(k) {
					case "type_id":
						d.once(&s, 0)
						d.int(&o.TypeID)
					case "value":
						d.once(&s, 1)
						d.str(&o.Value)
					default:
						d.unknown(k, ocsfObservableKeys)
					}
				})
			})
		case "remediation":
			d.once(&seen, 14)
			r := fastNew(d, &f.Remediation)
			if r == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "desc":
					d.once(&s, 0)
					d.str(&r.Desc)
				case "references":
					d.once(&s, 1)
					d.strings(&r.References)
				default:
					d.unknown(k, ocsfRemediationKeys)
				}
			})
		default:
			d.unknown(k, ocsfFindingKeys)
		}
	})
}

func (d *fastDecoder) ocsfInfo(f *ocsfFinding) {
	fi := fastNew(d, &f.FindingInfo)
	if fi == nil {
		return
	}
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "uid":
			d.once(&s, 0)
			d.str(&fi.UID)
		case "title":
			d.once(&s, 1)
			d.str(&fi.Title)
		case "desc":
			d.once(&s, 2)
			d.str(&fi.Desc)
		case "types":
			d.once(&s, 3)
			d.strings(&fi.Types)
		case "first_seen_time":
			d.once(&s, 4)
			d.float(&fi.FirstSeenTime)
		case "last_seen_time":
			d.once(&s, 5)
			d.float(&fi.LastSeenTime)
		case "analytic":
			d.once(&s, 6)
			if a := fastNew(d, &fi.Analytic); a != nil {
				d.strObject(ocsfNamedKeys, &a.Name, &a.UID)
			}
		case "attacks":
			d.once(&s, 7)
			fastElems(d, &fi.Attacks, func(i int) {
				at := &fi.Attacks[i]
				var s uint64
				d.object(func(k []byte) {
					switch string(k) {
					case "tactic":
						d.once(&s, 0)
						d.ocsfNamedPtr(&at.Tactic)
					case "tactics":
						d.once(&s, 1)
						fastElems(d, &at.Tactics, func(j int) {
							n := &at.Tactics[j]
							d.strObject(ocsfNamedKeys, &n.Name, &n.UID)
						})
					case "technique":
						d.once(&s, 2)
						d.ocsfNamedPtr(&at.Technique)
					case "sub_technique":
						d.once(&s, 3)
						d.ocsfNamedPtr(&at.SubTechnique)
					default:
						d.unknown(k, ocsfAttackKeys)
					}
				})
			})
		default:
			d.unknown(k, ocsfInfoKeys)
		}
	})
}

func (d *fastDecoder) ocsfResource(f *ocsfFinding, i int) {
	r := &f.Resources[i]
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "uid":
			d.once(&s, 0)
			d.str(&r.UID)
		case "name":
			d.once(&s, 1)
			d.str(&r.Name)
		case "type":
			d.once(&s, 2)
			d.str(&r.Type)
		case "region":
			d.once(&s, 3)
			d.str(&r.Region)
		case "owner":
			d.once(&s, 4)
			o := fastNew(d, &r.Owner)
			if o == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "account" {
					d.unknown(k, ocsfOwnerKeys)
					return
				}
				d.once(&s, 0)
				d.ocsfNamedPtr(&o.Account)
			})
		case "tags":
			d.once(&s, 5)
			fastElems(d, &r.Tags, func(j int) {
				t := &r.Tags[j]
				d.strObject(ocsfTagKeys, &t.Name, &t.Value)
			})
		default:
			d.unknown(k, ocsfResourceKeys)
		}
	})
}

func (d *fastDecoder) ocsfEvidence(f *ocsfFinding, i int) {
	ev := &f.Evidences[i]
	var s uint64
	d.object(func(k []byte) {
		switch string(k) {
		case "src_endpoint":
			d.once(&s, 0)
			d.ocsfEndpoint(&ev.SrcEndpoint)
		case "dst_endpoint":
			d.once(&s, 1)
			d.ocsfEndpoint(&ev.DstEndpoint)
		case "actor":
			d.once(&s, 2)
			a := fastNew(d, &ev.Actor)
			if a == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				if string(k) != "user" {
					d.unknown(k, ocsfActorKeys)
					return
				}
				d.once(&s, 0)
				d.ocsfNamedPtr(&a.User)
			})
		case "process":
			d.once(&s, 3)
			p := fastNew(d, &ev.Process)
			if p == nil {
				return
			}
			var s uint64
			d.object(func(k []byte) {
				switch string(k) {
				case "name":
					d.once(&s, 0)
					d.str(&p.Name)
				case "file":
					d.once(&s, 1)
					fl := fastNew(d, &p.File)
					if fl == nil {
						return
					}
					var s uint64
					d.object(func(k []byte) {
						switch string(k) {
						case "path":
							d.once(&s, 0)
							d.str(&fl.Path)
						case "hashes":
							d.once(&s, 1)
							fastElems(d, &fl.Hashes, func(j int) {
								d.strObject(ocsfHashKeys, &fl.Hashes[j].Value)
							})
						default:
							d.unknown(k, ocsfFileKeys)
						}
					})
				default:
					d.unknown(k, ocsfProcessKeys)
				}
			})
		case "query":
			d.once(&s, 4)
			if q := fastNew(d, &ev.Query); q != nil {
				d.strObject(ocsfQueryKeys, &q.Hostname)
			}
		case "url":
			d.once(&s, 5)
			if u := fastNew(d, &ev.URL); u != nil {
				d.strObject(ocsfURLKeys, &u.URLString)
			}
		default:
			d.unknown(k, ocsfEvidenceKeys)
		}
	})
}
