package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Hasher turns tokens into keyed hashes (HMAC-SHA256). Tokens are random and
// long, so a fast keyed hash is as safe as a slow password hash, and a copy
// of the database without the key cannot be used to check guesses.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher with a key of at least 32 bytes.
func NewHasher(key []byte) (Hasher, error) {
	if len(key) < 32 {
		return Hasher{}, errors.New("token key must have at least 32 bytes")
	}
	return Hasher{key: key}, nil
}

// Hash returns the keyed hash of a token.
func (h Hasher) Hash(token string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(token))
	return m.Sum(nil)
}

// Sum is Hash as an array, for use as a map key.
func (h Hasher) Sum(token string) [32]byte {
	var out [32]byte
	copy(out[:], h.Hash(token))
	return out
}

// Derive returns a 32-byte key for one purpose, made from the hub's key.
func (h Hasher) Derive(label string) []byte { return h.Hash("hubsync derived key: " + label) }

// Fingerprint identifies the key without revealing it, so a store can tell
// when it is opened with a different key from the one its hashes were made with.
func (h Hasher) Fingerprint() string {
	return hex.EncodeToString(h.Hash("hubsync key fingerprint")[:8])
}

// NewToken returns a random token with a prefix saying what it is.
func NewToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// LoadOrCreateKey reads the hex key in path, creating a random one (readable
// by the owner only) when the file does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("token key %s must hold at least 32 bytes as hex", path)
	}
	return key, nil
}

// createKey writes a new key beside path and links it into place, so a
// process starting at the same moment sees either no file or a whole one.
func createKey(path string) error {
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
