// Package investigate answers an analyst's questions about one entity or
// one incident from the correlator's key-day index, without reading every
// alert: what a key (an IP, a host, an account, an access key, a file hash,
// a domain or a resource) did and when, and which incidents share a key
// with an incident outside the correlation window or through a noisy key.
//
// The key-day index (correlate.KeyDay, one record per key and UTC day)
// holds the alerts first seen that day with that key: their first-seen
// time, the group they joined, their name and up to three resources, and
// whether the key turned noisy. Everything here is computed from a key's
// key-days, newest first, as the store's KeyHistory returns them; the
// caller resolves group ids to incidents (Resolve).
//
// Keys are canonicalised the way correlation does it (Key): an EC2
// instance ARN and its i-… id are one resource, host names lose their
// domain, IPs take their canonical form, hashes and domains are
// lower-cased. docs/api.md states the endpoints built on this.
package investigate
