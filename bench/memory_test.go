package bench

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestMeasureMemory prints moto's memory over a burst of
// MUSTER_MEMORY_ALERTS alerts through the local stack (not run unless set).
func TestMeasureMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MUSTER_MEMORY_ALERTS"))
	if n <= 0 {
		t.Skip("set MUSTER_MEMORY_ALERTS to measure")
	}
	limit, _ := strconv.Atoi(os.Getenv("MUSTER_MEMORY_MOTO_MAX_MB"))
	res, err := MeasureMemory(context.Background(), MemoryOptions{Alerts: n, MotoEnv: strings.Fields(os.Getenv("MUSTER_MEMORY_MOTO_ENV")), MotoMaxMB: limit})
	logMeasured(t, res, err)
}

// logMeasured prints a measurement's result as JSON and fails the test on
// err (the result is printed either way: a partial run says how far it got).
func logMeasured(t *testing.T, res any, err error) {
	t.Helper()
	b, _ := json.MarshalIndent(res, "", " ")
	t.Logf("%s", b)
	if err != nil {
		t.Fatal(err)
	}
}
