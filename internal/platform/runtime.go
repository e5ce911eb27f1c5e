package platform

import (
	"os"
	"runtime/debug"
)

// ServerGCPercent is the garbage collector's growth target that serve sets
// (Go's default is 100). A GraphQL server allocates a lot per request and
// keeps little: profiling the 100-lead list (issue #21) found a fifth of
// the process's CPU in the collector at 100 and a twentieth at 400, for a
// heap that stays in the tens of megabytes. GOGC, when set, wins; GOMEMLIMIT
// bounds the heap where memory is scarce.
const ServerGCPercent = 400

// TuneGC sets ServerGCPercent unless the environment sets GOGC, and
// returns the previous setting (for a benchmark to restore).
func TuneGC() (previous int) {
	if os.Getenv("GOGC") != "" {
		previous = debug.SetGCPercent(100)
		debug.SetGCPercent(previous)
		return previous
	}
	return debug.SetGCPercent(ServerGCPercent)
}
