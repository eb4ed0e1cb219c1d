// Package chatops is Muster's Slack app: it turns slash commands
// (/muster list|show|assign|resolve|dismiss|respond|help) and clicks on
// incident cards into calls of Muster's API, made as the Muster principal
// the Slack user is mapped to, and renders incidents as Block Kit cards.
//
// The rules (docs/chatops.md states them for users):
//
//   - A Slack user acts with the name and scopes configured for their
//     Slack user id (Users); a user not in the map has no scope and can
//     read nothing. The API checks the scopes, as for any caller.
//   - Changes are made at a known version (If-Match). A card's buttons
//     carry the version the card shows: a click on a card that is out of
//     date changes nothing and answers with the current card. A command
//     reads the version first and tries once more if the incident changed
//     in between.
//   - Retries are harmless: a change whose result already holds ("resolve"
//     on a resolved incident) answers "already" and adds no comment, and a
//     retried playbook request (X-Slack-Retry-Num) that matches one the
//     same user made in the last five minutes is not made again.
//   - Lists answer only the caller (ephemeral); changes answer in the
//     channel.
//
// The package knows nothing of HTTP routing or signatures: the query API
// verifies every request with package slack before it reaches Bot.
package chatops
