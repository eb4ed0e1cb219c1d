// Package suppress decides which alerts are suppressed: hidden from
// correlation because a team has said they are expected.
//
// A Rule matches an alert when every criterion it sets matches:
//   - AlertType: exact detection type, or "*" for any;
//   - Provider: exact provider name;
//   - ResourceID: the canonical id of any of the alert's resources;
//   - Entity: an entity of the given type whose value equals (or, with
//     Contains, contains) the given value, case-insensitively;
//   - MaxSeverity: the alert's severity is at most this.
//
// A rule with no criteria at all is invalid: it would hide everything.
//
// States: Enabled rules suppress and count hits; Shadow rules only count
// hits (to try a rule before trusting it); Disabled rules do nothing; a rule
// past its ExpiresAt is Expired and does nothing. Evaluate applies a rule
// set to one alert: the first matching Enabled rule (by id, for
// determinism) suppresses it, and every matching Enabled or Shadow rule
// records a hit.
//
// A suppressed alert is stored Dismissed with SuppressedBy set to the rule
// id, and never correlated.
package suppress
