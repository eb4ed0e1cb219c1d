package alert

import (
	"net/netip"
	"sort"
	"strings"
	"unicode/utf8"
)

// Resource is an affected cloud or host resource.
type Resource struct {
	ID      string            `json:"id"`
	Type    string            `json:"type,omitempty"`
	Name    string            `json:"name,omitempty"`
	Region  string            `json:"region,omitempty"`
	Account string            `json:"account,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
}

func (r *Resource) merge(o Resource) {
	if r.Type == "" {
		r.Type = o.Type
	}
	if r.Name == "" {
		r.Name = o.Name
	}
	if r.Region == "" {
		r.Region = o.Region
	}
	if r.Account == "" {
		r.Account = o.Account
	}
	for k, v := range o.Tags {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		if _, ok := r.Tags[k]; !ok {
			r.Tags[k] = v
		}
	}
}

// DisplayName is the resource's name, or its id when it has none.
func (r Resource) DisplayName() string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// ec2InstanceSuffix is the EC2 instance id s ends with, as the regular
// expression `(?:^|[/:])(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$` would capture
// it: "i-" and 8 or 17 lower-case hex digits, at the start of s or after
// a "/" or ":". A hand-written matcher: this runs for every resource of
// every alert.
func ec2InstanceSuffix(s string) (string, bool) {
	for _, n := range [...]int{19, 10} { // i- plus 17 or 8 digits
		if len(s) < n {
			continue
		}
		start := len(s) - n
		if start > 0 && s[start-1] != '/' && s[start-1] != ':' {
			continue
		}
		if c := s[start:]; c[0] == 'i' && c[1] == '-' && lowerHex(c[2:]) {
			return c, true
		}
	}
	return "", false
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// azurePrefix is the prefix of Azure resource ids, matched as the regular
// expression `(?i)^/subscriptions/` would: case-insensitively with
// Unicode simple folding (so "ſ", U+017F, matches "s").
const azurePrefix = "/subscriptions/"

func isAzureID(id string) bool {
	if len(id) == 0 || id[0] != '/' {
		return false
	}
	n := 0 // byte length of the first len(azurePrefix) runes
	for range len(azurePrefix) {
		if n >= len(id) {
			return false
		}
		_, size := utf8.DecodeRuneInString(id[n:])
		n += size
	}
	return strings.EqualFold(id[:n], azurePrefix)
}

// CanonicalResourceID maps the spellings of one resource onto one id:
//   - an EC2 instance as "i-…", "arn:aws:ec2:…:instance/i-…" or
//     "…/instance/i-…" becomes "i-…";
//   - an S3 bucket given by name with type S3Bucket becomes its ARN;
//   - Azure resource ids (case-insensitive by definition) are lower-cased;
//   - host-type resources become their lower-cased short host name;
//   - anything else is trimmed and kept as given.
func CanonicalResourceID(id, typ string) string {
	id = strings.TrimSpace(id)
	if iid, ok := ec2InstanceSuffix(strings.ToLower(id)); ok {
		return iid
	}
	lt := strings.ToLower(typ)
	switch {
	case isAzureID(id):
		return strings.ToLower(id)
	case (lt == "s3bucket" || lt == "awss3bucket") && !strings.HasPrefix(id, "arn:"):
		return "arn:aws:s3:::" + id
	case lt == "host" || lt == "node":
		return ShortHost(id)
	}
	return id
}

// Canonicalize rewrites the resource id to its canonical form and fills a
// missing type for EC2 instances.
func (r *Resource) Canonicalize() {
	r.ID = CanonicalResourceID(r.ID, r.Type)
	if _, ok := ec2InstanceSuffix(r.ID); ok && r.Type == "" && strings.HasPrefix(r.ID, "i-") {
		r.Type = "AwsEc2Instance"
	}
}

// ShortHost lower-cases a host name and drops its domain, so that
// "ip-10-0-1-25.ec2.internal" and "IP-10-0-1-25" are the same host. IP
// addresses are returned unchanged.
func ShortHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(h, ".")
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		return h[:i]
	}
	return h
}

// SortedTagKeys lists a tag map's keys in order, for stable output.
func SortedTagKeys(tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
