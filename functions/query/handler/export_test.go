package handler

// SummaryAlerts is how many alerts a summary lists, for tests.
const SummaryAlerts = summaryAlerts

// Patterns lists the ServeMux patterns the router serves, in the order of
// the OpenAPI document's operations, for tests.
func (h *Handler) Patterns() []string { return append([]string(nil), h.patterns...) }
