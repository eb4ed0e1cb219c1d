// Package awsbill turns what Muster did on AWS into what AWS bills for
// it, at us-east-1 list prices: DynamoDB on-demand request units, Lambda
// GB-seconds and requests, EventBridge events, API Gateway requests and
// CloudWatch Logs ingestion.
//
// The arithmetic follows the published billing rules:
//
//   - A write costs one write request unit (WRU) per started KB of the
//     item, the larger of its sizes before and after the write; a write
//     in TransactWriteItems costs twice that, and so does a ConditionCheck
//     of an item there (billed like a transactional write of the item it
//     checks).
//   - Every global secondary index whose key attributes the item has
//     before or after the write is written too, at the projected item's
//     size (Muster's indexes project ALL attributes): putting an item into
//     the index, rewriting it there or deleting it from there is one
//     write; changing its index key is two (a delete and a put). Index
//     writes are not doubled by a transaction.
//   - A read costs one read request unit (RRU) per started 4 KB, half of
//     that when eventually consistent, twice when transactional; a get
//     counts each item, a Query or Scan the summed size of what it read;
//     a key not found costs as an item of zero bytes.
//   - A PutEvents entry is one event per started 64 KB.
//   - Lambda bills each invocation's duration, rounded up to the
//     millisecond, times the function's memory, plus one request.
//
// Prices are constants (Prices) with the page each was read from and the
// date; the bench report prints them with its figures.
package awsbill
