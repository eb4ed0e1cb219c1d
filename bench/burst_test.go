package bench

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/muster-sec/muster/shared/killchain"
)

// TestMeasureBurst posts MUSTER_BURST_ATTACKS attacks of
// MUSTER_BURST_ALERTS alerts (default 20) through the local stack and
// prints the result (not run unless set; MUSTER_BURST_ENDPOINT uses a
// running emulator, a profiled one say; MUSTER_BURST_TIMEOUT bounds the
// wait after the last POST; MUSTER_BURST_LOG shows the runner's logs).
func TestMeasureBurst(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MUSTER_BURST_ATTACKS"))
	if n <= 0 {
		t.Skip("set MUSTER_BURST_ATTACKS to measure")
	}
	per, _ := strconv.Atoi(os.Getenv("MUSTER_BURST_ALERTS"))
	o := BurstOptions{Attacks: n, PerAttack: per, Endpoint: os.Getenv("MUSTER_BURST_ENDPOINT")}
	if d, err := time.ParseDuration(os.Getenv("MUSTER_BURST_TIMEOUT")); err == nil {
		o.Timeout = d
	}
	if os.Getenv("MUSTER_BURST_LOG") != "" {
		o.Logger = slog.Default() // the runner's own logs too
	}
	res, err := MeasureBurst(context.Background(), o)
	logMeasured(t, res, err)
}

// A burst attack is one instance's alerts in kill-chain order, two stages
// at least, so each attack makes one incident.
func TestAttackAlerts(t *testing.T) {
	for _, n := range []int{2, 5, 20} {
		as := attackAlerts("t", e2eStart, n)
		if len(as) != n {
			t.Fatalf("n=%d: %d alerts", n, len(as))
		}
		stages := map[killchain.Stage]bool{}
		for i, a := range as {
			stages[a.Tactics[0]] = true
			if a.PrimaryResource() != as[0].PrimaryResource() {
				t.Errorf("n=%d: alert %d on %s, want %s", n, i, a.PrimaryResource(), as[0].PrimaryResource())
			}
			if i > 0 && (a.Tactics[0] < as[i-1].Tactics[0] || !a.FirstSeen.After(as[i-1].FirstSeen)) {
				t.Errorf("n=%d: alert %d out of kill-chain or time order", n, i)
			}
		}
		if len(stages) < 2 {
			t.Errorf("n=%d: %d stages, want two at least", n, len(stages))
		}
	}
}
