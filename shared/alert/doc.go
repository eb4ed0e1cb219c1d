// Package alert defines Muster's normalised security alert and the rules that
// make alerts from different sources comparable.
//
// Every source format is turned into an Alert by the normalize package. An
// Alert's ID is deterministic (see ID): a hash of the identity provider and
// the sender's own id, so a re-delivered alert maps to the same stored item
// and the Security Hub copy of a GuardDuty finding maps to the GuardDuty
// alert itself.
//
// Resources are canonical: an EC2 instance seen as "i-0abc", as its ARN or in
// an Alertmanager instance_id label is the one resource "i-0abc" (see
// CanonicalResourceID). Entities carry what the alert says about the attack:
// IPs, hosts, principals, access keys, file hashes, domains and more.
//
// Keys returns the correlation keys of an alert: every affected resource and
// every strong entity (public IPs only, principals, access keys, short host
// names, file hashes, domains). Two alerts that share a key and whose
// FirstSeen times are close enough are linked by the correlate package.
//
// Every stored alert is bounded: Validate enforces a length limit on every
// free-text string (MaxIDLen … MaxTagValueLen; resource ids and key entity
// values at MaxKeyLen so that table keys built from them stay within
// DynamoDB's key limits) and CheckStoredSize bounds the whole alert's JSON
// document at MaxStoredBytes, so that its DynamoDB item stays under the
// 400 KB item limit.
package alert
