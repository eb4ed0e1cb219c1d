package alert

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
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

var (
	ec2InstanceID = regexp.MustCompile(`(?:^|[/:])(i-[0-9a-f]{8}(?:[0-9a-f]{9})?)$`)
	azureID       = regexp.MustCompile(`(?i)^/subscriptions/`)
)

// CanonicalResourceID maps the spellings of one resource onto one id:
//   - an EC2 instance as "i-…", "arn:aws:ec2:…:instance/i-…" or
//     "…/instance/i-…" becomes "i-…";
//   - an S3 bucket given by name with type S3Bucket becomes its ARN;
//   - Azure resource ids (case-insensitive by definition) are lower-cased;
//   - host-type resources become their lower-cased short host name;
//   - anything else is trimmed and kept as given.
func CanonicalResourceID(id, typ string) string {
	id = strings.TrimSpace(id)
	if m := ec2InstanceID.FindStringSubmatch(strings.ToLower(id)); m != nil {
		return m[1]
	}
	lt := strings.ToLower(typ)
	switch {
	case azureID.MatchString(id):
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
	if r.Type == "" && strings.HasPrefix(r.ID, "i-") && ec2InstanceID.MatchString(r.ID) {
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
