// Package metrics keeps Muster's operational figures as daily counters the
// pipeline adds to as it goes, so a dashboard of 90 days reads 90 small
// items instead of every incident.
//
// A Delta is a set of counter increments for one UTC day. Ingest adds one
// per request (ForAlerts: alerts received, suppressed, per detection);
// the responder adds one per incident change it sees on the stream
// (ForChange: incidents created, resolved, by severity, status and
// classification, kill-chain stages reached, alerts correlated, time to
// acknowledge and to resolve as histograms, incidents and false or benign
// positives per detection). Report folds days into day or week buckets
// with medians and 90th percentiles read from the histograms.
//
// Counting is idempotent: ingest counts an alert only when its store put
// created it (a re-delivery is a duplicate), and the responder's delta
// for an incident version is written together with a marker for that
// version, so a replayed stream record adds nothing. docs/api.md states
// what each costs and the bounds.
package metrics
