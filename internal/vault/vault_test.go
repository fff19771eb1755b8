package vault_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hubsync/hubsync/internal/vault"
)

type testBundle struct {
	path string
}

func setup(t *testing.T) (*vault.Vault, testBundle) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "vault.keyset")
	v, err := vault.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return v, testBundle{path: path}
}

func seal(t *testing.T, v *vault.Vault, plaintext, aad string) []byte {
	t.Helper()
	ct, err := v.Seal([]byte(plaintext), aad)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func mustOpen(t *testing.T, v *vault.Vault, ct []byte, aad, want string) {
	t.Helper()
	pt, err := v.Unseal(ct, aad)
	if err != nil {
		t.Fatalf("unseal %s: %v", aad, err)
	}
	if string(pt) != want {
		t.Fatalf("unseal %s gave another value", aad)
	}
}

func keyID(t *testing.T, ct []byte) uint32 {
	t.Helper()
	id, err := vault.KeyID(ct)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSealRoundTrip(t *testing.T) {
	v, _ := setup(t)
	for _, pt := range []string{"", "s3cret", strings.Repeat("x", 10000)} {
		aad := vault.ConnectionAAD(7)
		ct := seal(t, v, pt, aad)
		if pt != "" && bytes.Contains(ct, []byte(pt)) {
			t.Errorf("ciphertext holds the plaintext")
		}
		if id := keyID(t, ct); id != v.Primary() {
			t.Errorf("sealed with key %d, primary is %d", id, v.Primary())
		}
		mustOpen(t, v, ct, aad, pt)
	}
	a, b := seal(t, v, "same", "x"), seal(t, v, "same", "x")
	if bytes.Equal(a, b) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
}

func TestUnsealFails(t *testing.T) {
	v, _ := setup(t)
	other, _ := setup(t)
	ct := seal(t, v, "s3cret", vault.IntegrationAAD(1))
	flipped := bytes.Clone(ct)
	flipped[len(flipped)-1] ^= 1
	// The other keyset's key under this keyset's id: same prefix, wrong key.
	wrongKey := append(ct[:5:5], seal(t, other, "s3cret", vault.IntegrationAAD(1))[5:]...)
	tests := []struct {
		name string
		v    *vault.Vault
		ct   []byte
		aad  string
		is   error
	}{
		{"aad of another row", v, ct, vault.IntegrationAAD(2), nil},
		{"aad of another kind", v, ct, vault.WebhookAAD(1), nil},
		{"another keyset", other, ct, vault.IntegrationAAD(1), vault.ErrUnknownKey},
		{"wrong key with a known id", v, wrongKey, vault.IntegrationAAD(1), nil},
		{"tampered", v, flipped, vault.IntegrationAAD(1), nil},
		{"truncated", v, ct[:5], vault.IntegrationAAD(1), nil},
		{"empty", v, nil, vault.IntegrationAAD(1), nil},
		{"not sealed", v, []byte("plain text value"), vault.IntegrationAAD(1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := tt.v.Unseal(tt.ct, tt.aad)
			if err == nil {
				t.Fatalf("opened: %d bytes", len(pt))
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error names the secret: %v", err)
			}
		})
	}
}

func TestOpenKeepsTheKeysetAndItsMode(t *testing.T) {
	v, b := setup(t)
	checkMode(t, b.path)
	ct := seal(t, v, "s3cret", "a")
	again, err := vault.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	mustOpen(t, again, ct, "a", "s3cret")
	if _, err := v.Rotate(); err != nil {
		t.Fatal(err)
	}
	checkMode(t, b.path)
	if keys := v.Keys(); len(keys) != 2 {
		t.Errorf("after rotate: %+v", keys)
	}
	entries, _ := os.ReadDir(filepath.Dir(b.path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".vault-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func checkMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

func TestOpenRefusesABrokenKeyset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.keyset")
	os.WriteFile(path, []byte("not json"), 0o600)
	if _, err := vault.Open(path); err == nil {
		t.Fatal("opened a broken keyset")
	}
}

func TestOpenRacesCreateOneKeyset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.keyset")
	vs := make([]*vault.Vault, 8)
	var wg sync.WaitGroup
	for i := range vs {
		wg.Go(func() {
			v, err := vault.Open(path)
			if err != nil {
				t.Error(err)
			}
			vs[i] = v
		})
	}
	wg.Wait()
	for _, v := range vs[1:] {
		if v == nil || v.Primary() != vs[0].Primary() {
			t.Fatal("processes starting together made different keysets")
		}
	}
}

func TestRotate(t *testing.T) {
	v, _ := setup(t)
	first := v.Primary()
	old := seal(t, v, "old secret", "a")
	info, err := v.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == first || !info.Primary || v.Primary() != info.ID {
		t.Fatalf("rotate returned %+v; primary %d, was %d", info, v.Primary(), first)
	}
	mustOpen(t, v, old, "a", "old secret")
	fresh := seal(t, v, "new secret", "b")
	if id := keyID(t, fresh); id != info.ID {
		t.Errorf("new seal uses key %d, want the new primary %d", id, info.ID)
	}
	want := []vault.KeyInfo{{ID: first, Status: "enabled"}, {ID: info.ID, Primary: true, Status: "enabled"}}
	if got := v.Keys(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("keys %+v, want %+v", got, want)
	}
}

// TestAnotherProcessRotates is the server and "hubsync keys rotate" working
// on one file: the server opens values the other sealed and seals with the
// new primary.
func TestAnotherProcessRotates(t *testing.T) {
	server, b := setup(t)
	cli, err := vault.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	ct := seal(t, cli, "sealed by the cli", "a")
	mustOpen(t, server, ct, "a", "sealed by the cli")
	if server.Primary() != info.ID {
		t.Errorf("server primary %d after reload, want %d", server.Primary(), info.ID)
	}

	// Sealing notices the file changed too, without meeting a new key first.
	info, err = cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id := keyID(t, seal(t, server, "x", "a")); id != info.ID {
		t.Errorf("server sealed with key %d after a rotation, want %d", id, info.ID)
	}
}

func TestRotationsInTwoProcessesKeepBothKeys(t *testing.T) {
	a, b := setup(t)
	other, err := vault.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, v := range []*vault.Vault{a, other, a, other} {
		wg.Go(func() {
			if _, err := v.Rotate(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	last, err := vault.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(last.Keys()); n != 5 {
		t.Errorf("after 4 rotations the keyset has %d keys, want 5", n)
	}
}

func TestRetire(t *testing.T) {
	v, b := setup(t)
	first := v.Primary()
	if err := v.Retire(first); !errors.Is(err, vault.ErrPrimary) {
		t.Fatalf("retiring the primary: %v", err)
	}
	old := seal(t, v, "old", "a")
	info, err := v.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Retire(info.ID); !errors.Is(err, vault.ErrPrimary) {
		t.Errorf("retiring the new primary: %v", err)
	}
	if err := v.Retire(12345); !errors.Is(err, vault.ErrNoKey) {
		t.Errorf("retiring a missing key: %v", err)
	}
	if err := v.Retire(first); err != nil {
		t.Fatal(err)
	}
	if keys := v.Keys(); len(keys) != 1 || keys[0].ID != info.ID {
		t.Errorf("after retire: %+v", keys)
	}
	if _, err := v.Unseal(old, "a"); !errors.Is(err, vault.ErrUnknownKey) {
		t.Errorf("unsealing under a retired key: %v", err)
	}
	reopened, err := vault.Open(b.path)
	if err != nil {
		t.Fatal(err)
	}
	if len(reopened.Keys()) != 1 {
		t.Errorf("retire was not persisted: %+v", reopened.Keys())
	}
	checkMode(t, b.path)
}

// TestRetireSeesTheFileNotItsCopy: a Vault that has not seen another
// process's rotation must not retire the key that rotation made primary.
func TestRetireSeesTheFileNotItsCopy(t *testing.T) {
	stale, b := setup(t)
	first := stale.Primary()
	other, _ := vault.Open(b.path)
	if _, err := other.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := stale.Retire(first); err != nil {
		t.Fatal(err)
	}
	if n := len(stale.Keys()); n != 2 {
		t.Errorf("retiring one key of three left %d", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	v, _ := setup(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				aad := vault.ConnectionAAD(int64(g))
				pt := fmt.Sprintf("secret %d %d", g, i)
				ct, err := v.Seal([]byte(pt), aad)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := v.Unseal(ct, aad)
				if err != nil || string(got) != pt {
					t.Errorf("round trip failed: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			if _, err := v.Rotate(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}

func TestKeyID(t *testing.T) {
	v, _ := setup(t)
	ct := seal(t, v, "x", "a")
	id, err := v.KeyID(ct)
	if err != nil || id != v.Primary() {
		t.Errorf("KeyID = %d, %v; primary %d", id, err, v.Primary())
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, {0, 0, 0, 0, 1, 9}} {
		if _, err := vault.KeyID(bad); err == nil {
			t.Errorf("KeyID(%x) succeeded", bad)
		}
	}
}

func TestAADs(t *testing.T) {
	seen := map[string]bool{}
	for _, aad := range []string{
		vault.IntegrationAAD(1), vault.IntegrationAAD(11), vault.ConnectionAAD(1),
		vault.WebhookAAD(1), vault.AttemptAAD([]byte{1}), vault.AttemptAAD([]byte{0x11}),
	} {
		if seen[aad] {
			t.Errorf("AAD %q names two places", aad)
		}
		seen[aad] = true
	}
}
