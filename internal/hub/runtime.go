package hub

import (
	"os"
	"runtime/debug"
)

// Garbage-collector settings for a serving hub. The live heap is small
// (tens of megabytes), so Go's default of collecting each time it doubles
// spends a fifth of the CPU of a bulk write on collection. A high
// percentage alone lets the heap grow to five times what is live, and what
// is live grows with a long backfill (the engine's echoes), so peak memory
// grew with the size of the sync. The memory limit is what bounds it: the
// heap grows freely up to it, then is collected as often as staying under
// it takes. It leaves room under 100 MiB for what Go does not count:
// SQLite's page caches (up to 24 MiB) and the program's own pages. With
// it, "serve" syncing 100,000 contacts to PostgreSQL peaked at 93 MiB
// (144 MiB before). Lower limits cost CPU: two hubs in one process spent
// a fifth more per record at 32 MiB.
const (
	gcPercent   = 400
	memoryLimit = 48 << 20
)

// TuneGC applies the serving settings unless GOGC or GOMEMLIMIT say otherwise.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
