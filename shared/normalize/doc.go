// Package normalize turns the alert formats Muster accepts into normalised
// alert.Alert values.
//
// Sources (sources.go) is the registry of the formats Muster accepts, which
// ingest, the correlation text and the console read.
//
// Parse is the one entry point: given a provider name (as in
// POST /webhooks/{provider}) and a request body, it returns one Result per
// alert in the request, in request order. A body may hold one object, an
// array of objects, or the provider's own batch: an Alertmanager webhook
// group, an EventBridge envelope ("GuardDuty Finding", "Security Hub
// Findings - Imported" or "- Custom Action" with detail.findings[]). Result.Index counts alerts
// across the whole request, so an array of two Alertmanager groups of three
// alerts each gives indexes 0…5.
//
// Each Result holds either a finished, validated alert or an error that
// wraps alert.ErrInvalid with an *alert.FieldError naming the field and the
// reason. Parse's own error is reserved for a request that cannot be read at
// all (ErrMalformed: not JSON, not an object or array, no alerts) or an
// unknown provider (ErrUnknownProvider).
//
// Rules every parser follows:
//   - Identity: SourceID is the sender's own id (GuardDuty: the finding ARN;
//     Security Hub: the finding Id; Defender: SystemAlertId or the REST
//     name; Alertmanager: the fingerprint; Falco: the uuid, or a hash of
//     rule, host and time; OCSF: finding_info.uid; generic: id). The alert
//     id is alert.ID(provider, SourceID). A Security Hub finding whose
//     ProductArn ends in product/aws/guardduty is the GuardDuty finding
//     itself: it is normalised to provider "guardduty" (so the same id) and
//     to what the GuardDuty finding gives (see guardDutyCopy); Merge makes
//     the stored alert the same whichever of the two arrives first (see
//     merge.go), and re-deliveries of either change nothing.
//   - Severity and kill-chain stages are mapped per source as
//     docs/architecture.md lists; GuardDuty stages come from a
//     per-finding-type catalogue (catalogue.go) with the ThreatPurpose
//     prefix as fallback.
//   - Resources are the affected resources, canonicalised by alert.Finish
//     (an EC2 instance is "i-…" whether it came as an id, an ARN or a
//     label). Instance-role credentials (an assumed-role session named after
//     an instance) are attributed to the instance they were issued to.
//   - Entities: IPs (public flag set by alert.Finish), hosts, principals as
//     "account", access keys, file hashes, domains, URLs, processes,
//     containers, pods. A local OS user name (Falco user.name,
//     Alertmanager label user) is qualified with its host or resource,
//     "root@ip-10-0-1-25", because "root" on two machines is not one
//     principal and must not link their alerts.
//   - Count is the source's own occurrence count when it has one, else 1.
//     Stores call MergeStored, which folds a re-delivery into the stored
//     alert, fits it to the stored budget and writes nothing when that
//     equals what is stored.
//   - The raw payload of each item is kept with alert.Alert.SetRawValid
//     (capped; the item has just been decoded, so it is not re-validated).
//
// Decoding: each format is one set of plain structs read by
// github.com/go-json-experiment/json with the options of decode.go.
//
// No AWS SDK is imported: this is domain code, called by the ingest
// function and by tests and benchmarks.
package normalize
