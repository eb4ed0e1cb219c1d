package alert

import (
	"net/netip"
	"slices"
	"strings"
)

// EntityType names what an entity is.
type EntityType string

// Entity types.
const (
	EntityIP        EntityType = "ip"
	EntityHost      EntityType = "host"
	EntityAccount   EntityType = "account"
	EntityAccessKey EntityType = "accesskey"
	EntityProcess   EntityType = "process"
	EntityFileHash  EntityType = "filehash"
	EntityDomain    EntityType = "domain"
	EntityURL       EntityType = "url"
	EntityContainer EntityType = "container"
	EntityPod       EntityType = "pod"
)

// EntityTypes lists every entity type.
var EntityTypes = []EntityType{EntityIP, EntityHost, EntityAccount, EntityAccessKey,
	EntityProcess, EntityFileHash, EntityDomain, EntityURL, EntityContainer, EntityPod}

// Valid reports whether t is a known entity type.
func (t EntityType) Valid() bool { return slices.Contains(EntityTypes, t) }

// MaxValueLen is the longest value an entity of type t may have:
// MaxKeyLen for the types whose values become correlation keys (ip, host,
// account, accesskey, filehash, domain), MaxValueLen for the others.
func (t EntityType) MaxValueLen() int {
	switch t {
	case EntityProcess, EntityURL, EntityContainer, EntityPod:
		return MaxValueLen
	}
	return MaxKeyLen
}

// Entity is something an alert names: an IP, a host, a principal, a key…
// Public is set for IP entities that are globally routable.
type Entity struct {
	Type   EntityType `json:"type"`
	Value  string     `json:"value"`
	Public bool       `json:"public,omitempty"`
}

// Canonicalize normalises the value for comparison: IPs in canonical form
// with Public set, hosts to their short lower-case name, hashes and domains
// lower-cased.
func (e *Entity) Canonicalize() {
	e.Type = EntityType(strings.ToLower(string(e.Type)))
	e.Value = strings.TrimSpace(e.Value)
	switch e.Type {
	case EntityIP:
		if a, err := netip.ParseAddr(e.Value); err == nil {
			a = a.Unmap()
			// a.String(), without a new string when the value already is
			// in canonical form (AppendTo is String for a valid address).
			var buf [64]byte
			if c := a.AppendTo(buf[:0]); string(c) != e.Value {
				e.Value = string(c)
			}
			e.Public = IsPublicIP(a)
		}
	case EntityHost:
		e.Value = ShortHost(e.Value)
	case EntityFileHash, EntityDomain:
		e.Value = strings.TrimSuffix(strings.ToLower(e.Value), ".")
	}
}

// IsPublicIP reports whether a is globally routable: not private, loopback,
// link-local, multicast, unspecified, CGNAT (100.64/10) or documentation.
func IsPublicIP(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsMulticast() || a.IsUnspecified() ||
		a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Key is a correlation key: "res:<id>", "ip:<addr>", "account:<v>",
// "accesskey:<v>", "host:<short>", "filehash:<v>" or "domain:<v>".
type Key string

// Kind returns the part before the colon, e.g. "ip".
func (k Key) Kind() string {
	if i := strings.IndexByte(string(k), ':'); i > 0 {
		return string(k[:i])
	}
	return ""
}

// IsResource reports whether the key names an affected resource.
func (k Key) IsResource() bool { return strings.HasPrefix(string(k), "res:") }

// Keys returns the alert's correlation keys, de-duplicated, resources first.
// Strong entities only: public IPs, principals, access keys, hosts, file
// hashes, domains. Private IPs, processes, URLs, containers and pods never
// link alerts.
func (a *Alert) Keys() []Key {
	out := make([]Key, 0, len(a.Resources)+len(a.Entities))
	// Most alerts have a handful of keys: a linear check beats a set,
	// which only pays for itself with many.
	var seen map[Key]bool
	if cap(out) > 32 {
		seen = make(map[Key]bool, cap(out))
	}
	add := func(k Key) {
		if seen != nil {
			if seen[k] {
				return
			}
			seen[k] = true
		} else if slices.Contains(out, k) {
			return
		}
		out = append(out, k)
	}
	for _, r := range a.Resources {
		add(r.Key())
		if strings.EqualFold(r.Type, "host") || strings.EqualFold(r.Type, "node") {
			add(Key("host:" + ShortHost(r.ID)))
		}
	}
	for _, e := range a.Entities {
		if k, ok := e.Key(); ok {
			add(k)
		}
	}
	return out
}

// Key is the correlation key of a resource (its canonical id).
func (r Resource) Key() Key { return Key("res:" + r.ID) }

// Key is the correlation key of an entity, when it is a strong entity:
// a public IP, an account, an access key, a file hash, a domain or a host
// name (an address given as a host name is not one).
func (e Entity) Key() (Key, bool) {
	switch e.Type {
	case EntityIP:
		if e.Public {
			return Key("ip:" + e.Value), true
		}
	case EntityAccount, EntityAccessKey, EntityFileHash, EntityDomain:
		return Key(string(e.Type) + ":" + e.Value), true
	case EntityHost:
		if _, err := netip.ParseAddr(e.Value); err != nil {
			return Key("host:" + e.Value), true
		}
	}
	return "", false
}
