package investigate

import (
	"errors"
	"net/netip"

	"github.com/muster-sec/muster/shared/alert"
)

// Types are the entity types an investigation accepts, as they appear in
// the path of GET /entities/{type}/{value}.
var Types = []string{"resource", "ip", "host", "account", "accesskey", "filehash", "domain"}

// ErrType is returned by Key for a type not in Types; ErrValue for a value
// that cannot be a key of its type.
var (
	ErrType  = errors.New("unknown entity type")
	ErrValue = errors.New("invalid entity value")
)

// Key returns the correlation key of an entity given by type and value,
// canonicalised the way the correlator keys alerts.
func Key(typ, value string) (alert.Key, error) {
	if value == "" || len(value) > alert.MaxKeyLen {
		return "", ErrValue
	}
	switch typ {
	case "resource":
		r := alert.Resource{ID: value}
		r.Canonicalize()
		if r.ID == "" {
			return "", ErrValue
		}
		return r.Key(), nil
	case "ip":
		a, err := netip.ParseAddr(value)
		if err != nil {
			return "", ErrValue
		}
		return alert.Key("ip:" + a.Unmap().String()), nil
	case "host", "account", "accesskey", "filehash", "domain":
		e := alert.Entity{Type: alert.EntityType(typ), Value: value}
		e.Canonicalize()
		if e.Value == "" {
			return "", ErrValue
		}
		return alert.Key(typ + ":" + e.Value), nil
	}
	return "", ErrType
}
