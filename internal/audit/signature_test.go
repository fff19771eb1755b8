package audit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubsync/hubsync/internal/audit"
)

func TestVerify(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"kind":"connection.broken"}`)
	sent := time.Unix(1_700_000_000, 0)
	header := audit.Sign(secret, sent, body)
	other := audit.Sign("whsec_other", sent, body)
	v1 := func(h string) string { _, v, _ := strings.Cut(h, ","); return v }

	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", secret, header, body, sent.Add(30 * time.Second), true},
		{"clock behind the sender", secret, header, body, sent.Add(-30 * time.Second), true},
		{"one of two signatures matches", secret, header + "," + v1(other), body, sent, true},
		{"wrong secret", "whsec_other", header, body, sent, false},
		{"body changed", secret, header, []byte(`{"kind":"connection.recovered"}`), sent, false},
		{"too old", secret, header, body, sent.Add(6 * time.Minute), false},
		{"too far ahead", secret, header, body, sent.Add(-6 * time.Minute), false},
		{"timestamp changed", secret, strings.Replace(header, "t=1700000000", "t=1700000001", 1), body, sent, false},
		{"no signature", secret, "t=1700000000", body, sent, false},
		{"no timestamp", secret, v1(header), body, sent, false},
		{"empty", secret, "", body, sent, false},
		{"not hex", secret, "t=1700000000,v1=zz", body, sent, false},
	}
	for _, c := range cases {
		err := audit.Verify(c.secret, c.header, c.body, c.now, 5*time.Minute)
		if c.ok && err != nil {
			t.Errorf("%s: Verify = %v, want nil", c.name, err)
		}
		if !c.ok && !errors.Is(err, audit.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", c.name, err)
		}
	}
	if !strings.HasPrefix(header, "t=1700000000,v1=") || len(v1(header)) != len("v1=")+64 {
		t.Errorf("header = %q, want t=<unix>,v1=<64 hex>", header)
	}
}
