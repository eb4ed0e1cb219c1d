package correlate

// SetMaxEntriesPerKeyDay lowers the key-day entry bound for a test.
func SetMaxEntriesPerKeyDay(e *Engine, n int) { e.maxEntries = n }
