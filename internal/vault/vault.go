// Package vault seals the hub's outbound secrets (connection credentials,
// integration client secrets, webhook secrets, PKCE verifiers) with a tink
// AEAD keyset of AES256-GCM keys, and rotates that keyset online: a new
// primary key seals from then on, older keys stay to open what they sealed
// until Reseal has moved every stored value to the primary and the old key
// is retired.
//
// The keyset is a cleartext JSON file kept outside the database (by default
// <data-dir>/vault.keyset), readable by its owner only. Like the token key
// file, whoever can read it can read every credential the hub holds: a copy
// of the database alone reveals nothing, a copy of the database with this
// file reveals everything. Back it up apart from the database, and give every
// replica the same file: replicas on other machines must see a rotation
// (a shared volume, or the new file copied to each) before Reseal moves
// stored values to the new key, or they cannot open them.
//
// Several processes may use one file: the server, and "hubsync keys" run
// beside it. Changes are written to a temporary file and renamed into place
// under an advisory lock, so readers see the old keyset or the new one whole
// and two rotations never lose a key. A Vault notices a changed file before
// it seals (so a running server seals with a primary rotated by the command
// line) and when it meets a ciphertext of a key it does not hold.
//
// The package does not know where sealed values are stored beyond Reseal and
// InUse, which walk the store's sealed columns; callers bind each value to
// its place with the AAD helpers.
package vault

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrUnknownKey means a ciphertext names a key the keyset file does not
	// hold (retired, or sealed with another keyset).
	ErrUnknownKey = errors.New("vault: ciphertext key is not in the keyset")
	// ErrPrimary means the primary key cannot be retired: it seals new values.
	ErrPrimary = errors.New("it is the primary key, which seals new values")
	// ErrNoKey means Retire was given an id the keyset does not hold.
	ErrNoKey = errors.New("no such key in the keyset")
)

// tink's output prefix: one version byte, then the key id, big endian.
const (
	prefixSize      = 5
	tinkPrefixStart = 0x01
)

// KeyInfo describes one key of the keyset; it holds no key material.
type KeyInfo struct {
	ID      uint32 `json:"id"`
	Primary bool   `json:"primary"`
	Status  string `json:"status"` // "enabled", "disabled" or "destroyed"
}

// Vault seals and opens secrets. It is safe for concurrent use.
type Vault struct {
	path string
	// mu serialises loads and changes of the keyset; sealing and opening
	// only read cur.
	mu  sync.Mutex
	cur atomic.Pointer[keys]
}

// keys is one loaded version of the keyset file, never changed once loaded.
type keys struct {
	aead    tink.AEAD
	info    []KeyInfo
	primary uint32
	ids     map[uint32]bool
	file    os.FileInfo // what was read, to notice a replaced file
}

// Open loads the keyset file at path, creating it with one AES256-GCM key
// (readable by the owner only) on first use.
func Open(path string) (*Vault, error) {
	v := &Vault{path: path}
	k, err := load(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, fmt.Errorf("vault: create keyset %s: %w", path, err)
		}
		k, err = load(path)
	}
	if err != nil {
		return nil, err
	}
	v.cur.Store(k)
	return v, nil
}

// Seal encrypts plaintext with the primary key, bound to aad, which names
// where the value is stored.
func (v *Vault) Seal(plaintext []byte, aad string) ([]byte, error) {
	k, err := v.fresh()
	if err != nil {
		return nil, err
	}
	ct, err := k.aead.Encrypt(plaintext, []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("vault: seal %s: %w", aad, err)
	}
	return ct, nil
}

// Unseal decrypts what Seal made for the same aad. A ciphertext of a key this
// Vault has not loaded makes it re-read the keyset file once, since another
// process may have rotated it.
func (v *Vault) Unseal(ciphertext []byte, aad string) ([]byte, error) {
	id, err := KeyID(ciphertext)
	if err != nil {
		return nil, err
	}
	k := v.cur.Load()
	if !k.ids[id] {
		if k, err = v.reload(false); err != nil {
			return nil, err
		}
		if !k.ids[id] {
			return nil, fmt.Errorf("%w: key %d (%s)", ErrUnknownKey, id, aad)
		}
	}
	pt, err := k.aead.Decrypt(ciphertext, []byte(aad))
	if err != nil {
		// tink's message says nothing more; the cause is a value moved to
		// another row, a corrupted value, or a key that does not match.
		return nil, fmt.Errorf("vault: cannot open %s with key %d: %w", aad, id, err)
	}
	return pt, nil
}

// KeyID returns the id of the key a ciphertext was sealed with, read from
// its tink output prefix.
func KeyID(ciphertext []byte) (uint32, error) {
	if len(ciphertext) <= prefixSize || ciphertext[0] != tinkPrefixStart {
		return 0, errors.New("vault: not a sealed value")
	}
	return binary.BigEndian.Uint32(ciphertext[1:prefixSize]), nil
}

// KeyID returns the id of the key a ciphertext was sealed with.
func (v *Vault) KeyID(ciphertext []byte) (uint32, error) { return KeyID(ciphertext) }

// Keys describes the loaded keyset, in the file's order.
func (v *Vault) Keys() []KeyInfo {
	return append([]KeyInfo(nil), v.cur.Load().info...)
}

// Primary is the id of the key new values are sealed with.
func (v *Vault) Primary() uint32 { return v.cur.Load().primary }

// Rotate adds a new AES256-GCM key to the keyset file and makes it primary.
// Older keys stay enabled, so what they sealed still opens; run Reseal to
// move stored values to the new key, then Retire the old one.
func (v *Vault) Rotate() (KeyInfo, error) {
	var id uint32
	err := v.change(func(m *keyset.Manager) error {
		var err error
		if id, err = m.Add(aead.AES256GCMKeyTemplate()); err != nil {
			return err
		}
		return m.SetPrimary(id)
	})
	if err != nil {
		return KeyInfo{}, fmt.Errorf("vault: rotate: %w", err)
	}
	return KeyInfo{ID: id, Primary: true, Status: "enabled"}, nil
}

// Retire deletes a key from the keyset file. Values it sealed can never be
// opened again, so the caller first makes sure none is stored (see InUse).
func (v *Vault) Retire(keyID uint32) error {
	err := v.change(func(m *keyset.Manager) error {
		// The file just read decides, not this Vault's copy, which may be
		// older than a rotation made elsewhere.
		h, err := m.Handle()
		if err != nil {
			return err
		}
		switch info := describe(h); {
		case !hasKey(info, keyID):
			return ErrNoKey
		case primaryOf(info) == keyID:
			return ErrPrimary
		}
		return m.Delete(keyID)
	})
	if err != nil {
		return fmt.Errorf("vault: retire key %d: %w", keyID, err)
	}
	return nil
}

// change applies fn to the keyset as the file holds it now, writes the
// result and loads it. The file lock keeps another process's change from
// being overwritten.
func (v *Vault) change(fn func(*keyset.Manager) error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	unlock, err := lockFile(v.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	h, _, err := readHandle(v.path)
	if err != nil {
		return err
	}
	m := keyset.NewManagerFromHandle(h)
	if err := fn(m); err != nil {
		return err
	}
	nh, err := m.Handle()
	if err != nil {
		return err
	}
	if err := replace(v.path, nh); err != nil {
		return err
	}
	k, err := load(v.path)
	if err != nil {
		return err
	}
	v.cur.Store(k)
	return nil
}

// fresh returns the loaded keyset, first re-reading the file if it was
// replaced since, so new values are sealed with the current primary.
func (v *Vault) fresh() (*keys, error) {
	k := v.cur.Load()
	fi, err := os.Stat(v.path)
	if err != nil || sameFile(k.file, fi) {
		// A file that went away leaves the keys already loaded working.
		return k, nil
	}
	return v.reload(true)
}

// reload re-reads the keyset file unless it is unchanged since the last load.
func (v *Vault) reload(force bool) (*keys, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.cur.Load()
	if !force {
		if fi, err := os.Stat(v.path); err == nil && sameFile(old.file, fi) {
			return old, nil
		}
	}
	k, err := load(v.path)
	if err != nil {
		return nil, err
	}
	v.cur.Store(k)
	return k, nil
}

func sameFile(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}

// load reads the keyset file and builds the primitive over it.
func load(path string) (*keys, error) {
	h, fi, err := readHandle(path)
	if err != nil {
		return nil, err
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("vault: keyset %s: %w", path, err)
	}
	k := &keys{aead: a, info: describe(h), ids: map[uint32]bool{}, file: fi}
	for _, i := range k.info {
		k.ids[i.ID] = true
	}
	k.primary = primaryOf(k.info)
	return k, nil
}

func readHandle(path string) (*keyset.Handle, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("vault: %w", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, nil, fmt.Errorf("vault: read keyset %s: %w", path, err)
	}
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(&buf))
	if err != nil {
		return nil, nil, fmt.Errorf("vault: keyset %s is not a tink JSON keyset: %w", path, err)
	}
	return h, fi, nil
}

func describe(h *keyset.Handle) []KeyInfo {
	info := make([]KeyInfo, 0, h.Len())
	for i := range h.Len() {
		e, err := h.Entry(i)
		if err != nil {
			continue
		}
		info = append(info, KeyInfo{ID: e.KeyID(), Primary: e.IsPrimary(), Status: strings.ToLower(e.KeyStatus().String())})
	}
	return info
}

func primaryOf(info []KeyInfo) uint32 {
	for _, i := range info {
		if i.Primary {
			return i.ID
		}
	}
	return 0
}

func hasKey(info []KeyInfo, id uint32) bool {
	for _, i := range info {
		if i.ID == id {
			return true
		}
	}
	return false
}

// create writes a new keyset beside path and links it into place, so two
// processes starting at the same moment end up with one keyset, not two.
func create(path string) error {
	m := keyset.NewManager()
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return err
	}
	if err := m.SetPrimary(id); err != nil {
		return err
	}
	h, err := m.Handle()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := writeTemp(path, h)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// replace writes h to a temporary file and renames it over path.
func replace(path string, h *keyset.Handle) error {
	tmp, err := writeTemp(path, h)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// writeTemp writes h as cleartext JSON to a new owner-only file beside path.
func writeTemp(path string, h *keyset.Handle) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".vault-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		err = insecurecleartextkeyset.Write(h, keyset.NewJSONWriter(f))
	}
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// syncDir makes a rename durable; where directories cannot be synced the
// rename is still atomic, just not yet on disk.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
