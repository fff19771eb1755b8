package sqlstore

import "time"

// Times are stored as unix milliseconds in UTC; zero stays zero.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// stored is t as it reads back, so a method that returns what it stored
// agrees with every later read.
func stored(t time.Time) time.Time { return fromMS(ms(t)) }
