// Package normalize turns the alert formats Muster accepts into normalised
// alert.Alert values.
//
// Sources (sources.go) is the registry of the formats Muster accepts: name,
// display name, parser, sample folder, EventBridge detail type. Ingest,
// the correlation text and the console read it; tests check the console's
// format.js and the OpenAPI document against it.
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
//     itself: it is normalised to provider "guardduty" (so the same id) and,
//     for every field both formats carry, to what the GuardDuty finding
//     gives — type, tactics and techniques from the GuardDuty type through
//     the catalogue, count, source incident, resources, and archived →
//     Dismissed before Workflow and RecordState (see guardDutyCopy). The
//     two carry the same lastSeen. Merge gives that tie to the delivery
//     with the later updatedAt (when the source last updated its record:
//     GuardDuty updatedAt, Security Hub UpdatedAt, OCSF
//     metadata.modified_time) when both have one and they differ, else a
//     fixed winner (status Dismissed > Resolved > Active, the higher
//     severity, the longer text), and unions lists in an order of their
//     own, so the stored alert is the same whichever of the two arrives
//     first, and re-deliveries of either change nothing.
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
//   - Count is the source's own occurrence count when it has one (GuardDuty
//     service.count, the Security Hub copy's ProductFields count, OCSF
//     count), else 1. Merge folds a re-delivery into the stored alert;
//     stores call MergeStored, which also shrinks the result to the stored
//     budget (FitStored) and writes nothing when that equals what is
//     stored.
//   - The raw payload of each item is kept with alert.Alert.SetRawValid
//     (capped; the item has just been decoded, so it is not re-validated).
//
// Decoding: each format is one set of plain structs with json tags, read
// by github.com/go-json-experiment/json (decode.go) with one set of
// options: a name repeated within an object and invalid UTF-8 reject the
// item with the field named (a repeated id must not let the last copy win
// silently), and names match fields case-insensitively (Defender sends
// PascalCase and camelCase). A top-level array is split first, so one bad
// item is rejected on its own. See docs/performance.md for the speed.
//
// No AWS SDK is imported: this is domain code, called by the ingest
// function and by tests and benchmarks.
package normalize
