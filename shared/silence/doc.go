// Package silence writes Muster's suppression rules back to Prometheus
// Alertmanager as silences, through Alertmanager's API v2.
//
// Matchers turns an alert's labels into the silence's matchers: alertname
// plus the label (or labels) Muster derived the alert's resource from, all
// equality matchers. Client creates a silence (POST /api/v2/silences) and
// expires one (DELETE /api/v2/silence/{id}). The package imports no AWS
// SDK; the query API calls it after it has stored a rule, and records what
// happened on the rule (docs/write-back.md, "Alertmanager silences").
//
// Credentials (MUSTER_ALERTMANAGER_TOKEN) never appear in errors or logs.
package silence
