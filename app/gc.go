package app

import (
	"runtime/debug"
)

// GC defaults for the server, used unless GOGC or GOMEMLIMIT is set in the
// environment. hookrunner's live heap is small (tens of MiB, 44 MiB
// resident with 100,000 runs queued) and every request allocates, so with
// Go's default GOGC=100 the collector ran several times a second under
// load (about 10 % of the CPU in the ingest profile, issue 22). GOGC=400
// lets the heap grow to five times the live data between collections; the
// soft memory limit makes the collector work harder instead once the heap
// nears 256 MiB, so a large live heap does not grow fivefold.
const (
	gcPercent   = 400
	memoryLimit = 256 << 20
)

// tuneGC applies the GC defaults the environment (getenv) leaves unset and
// says which it applied.
func tuneGC(getenv func(string) string) (percent, limit bool) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		percent = true
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		limit = true
	}
	return percent, limit
}
