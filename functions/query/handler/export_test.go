package handler

// SummaryAlerts is how many alerts a summary lists, for tests.
const SummaryAlerts = summaryAlerts
