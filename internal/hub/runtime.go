package hub

import (
	"os"
	"runtime/debug"
)

// Garbage-collector settings for a serving hub. The live heap is small
// (tens of megabytes), so Go's default of collecting each time it doubles
// spends a fifth of the CPU of a bulk write on collection; a higher
// percentage with a memory limit as a guard keeps memory bounded and the
// CPU on the work.
const (
	gcPercent   = 400
	memoryLimit = 512 << 20
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
