package platform

import (
	"runtime/debug"
	"testing"
)

func TestTuneGCLeavesAnOperatorsGOGC(t *testing.T) {
	start := debug.SetGCPercent(100)
	defer debug.SetGCPercent(start)

	t.Setenv("GOGC", "")
	if prev := TuneGC(); prev != 100 {
		t.Errorf("TuneGC returned %d, want the previous 100", prev)
	}
	if now := debug.SetGCPercent(100); now != ServerGCPercent {
		t.Errorf("GOGC unset: percent %d, want %d", now, ServerGCPercent)
	}

	debug.SetGCPercent(150) // what the runtime read from GOGC=150 at start
	t.Setenv("GOGC", "150")
	TuneGC()
	if now := debug.SetGCPercent(100); now != 150 {
		t.Errorf("GOGC=150: percent %d, want 150", now)
	}
}
