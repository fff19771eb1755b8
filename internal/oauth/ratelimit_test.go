package oauth

import "testing"

// TestFloodOfUnknownClientsDoesNotResetABusyOne: once the limiter holds as
// many clients as it keeps, new ones push out idle clients only, so a
// client being hammered stays limited.
func TestFloodOfUnknownClientsDoesNotResetABusyOne(t *testing.T) {
	l := newClientLimiter(1, 2)
	for range 2 {
		if ok, _ := l.allow("victim"); !ok {
			t.Fatal("the first tries within the burst were refused")
		}
	}
	if ok, _ := l.allow("victim"); ok {
		t.Fatal("the burst did not run out")
	}
	for i := range maxBuckets + 10 {
		l.allow("made-up-" + string(rune('a'+i%26)) + string(rune(i)))
	}
	if ok, _ := l.allow("victim"); ok {
		t.Error("a flood of made-up client ids reset the victim's limit")
	}
	if len(l.buckets) > maxBuckets+1 {
		t.Errorf("the limiter keeps %d clients, more than %d", len(l.buckets), maxBuckets)
	}
}
