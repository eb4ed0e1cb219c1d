package alert

// StoredSizeBound exposes storedSizeBound to the tests.
func StoredSizeBound(a *Alert) int { return a.storedSizeBound() }
