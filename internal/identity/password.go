package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost settings for new password hashes.
// Verification reads the settings stored in each hash, so they can change.
type Argon2Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultArgon2 follows RFC 9106's second recommended setting, with the
// parallelism of a small server.
var DefaultArgon2 = Argon2Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
)

// hashPassword returns a PHC-format string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
// The hash runs through the gate.
func hashPassword(ctx context.Context, g *HashGate, password string, p Argon2Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	err := g.Run(ctx, p.MemoryKiB, func() {
		key = argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

var errBadHash = errors.New("stored password hash is not argon2id")

// phc is a parsed password hash.
type phc struct {
	params     Argon2Params
	salt, want []byte
}

func parseHash(encoded string) (phc, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return phc{}, errBadHash
	}
	var version int
	var h phc
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.params.MemoryKiB, &h.params.Time, &h.params.Threads); err != nil {
		return phc{}, errBadHash
	}
	enc := base64.RawStdEncoding
	var err error
	if h.salt, err = enc.DecodeString(parts[4]); err != nil {
		return phc{}, errBadHash
	}
	if h.want, err = enc.DecodeString(parts[5]); err != nil {
		return phc{}, errBadHash
	}
	return h, nil
}

// checkPassword reports whether password matches the PHC string. The hash
// runs through the gate, at the cost the string names.
func checkPassword(ctx context.Context, g *HashGate, encoded, password string) (bool, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	return verify(ctx, g, h, password)
}

// verify reports whether password hashes to h.
func verify(ctx context.Context, g *HashGate, h phc, password string) (bool, error) {
	var got []byte
	p := h.params
	err := g.Run(ctx, p.MemoryKiB, func() {
		got = argon2.IDKey([]byte(password), h.salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(h.want)))
	})
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, h.want) == 1, nil
}
