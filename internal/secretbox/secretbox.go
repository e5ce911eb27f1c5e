// Package secretbox seals small secrets (channel credentials) for storage:
// AES-256-GCM under a key derived from the server secret with HKDF-SHA256.
// The caller binds each sealed value to where it belongs (workspace and
// channel) as additional data, so a value copied to another row does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// version is the first byte of every sealed value: the key derivation and
// cipher used, so they can change without ambiguity.
const version byte = 1

// ErrOpen is returned for a value that was not sealed by this key for this
// additional data, or was altered.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Box seals and opens values under one key.
type Box struct{ aead cipher.AEAD }

// New derives the key from secret (at least 16 bytes).
func New(secret string) (*Box, error) {
	if len(secret) < 16 {
		return nil, errors.New("secretbox: the secret must be at least 16 bytes")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "scrm channel secrets v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plain bound to aad: version | nonce | ciphertext+tag.
func (b *Box) Seal(plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plain, aad), nil
}

// Open decrypts a value Seal made with the same aad.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
