package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// apiKeyPrefix starts every API key so it is recognisable in logs and by secret scanners.
const apiKeyPrefix = "scrm_"

// NewAPIKey returns a new key's plaintext (shown once), its lookup prefix and
// the hash stored at rest.
func NewAPIKey() (plaintext, prefix string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", nil, fmt.Errorf("api key: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	prefix = apiKeyPrefix + secret[:10]
	plaintext = prefix + "." + secret[10:]
	return plaintext, prefix, HashAPIKey(plaintext), nil
}

// IsAPIKey reports whether a bearer credential looks like an API key rather than a JWT.
func IsAPIKey(s string) bool { return strings.HasPrefix(s, apiKeyPrefix) }

// SplitAPIKey returns the lookup prefix of a plaintext key.
func SplitAPIKey(plaintext string) (prefix string, ok bool) {
	prefix, _, ok = strings.Cut(plaintext, ".")
	return prefix, ok && IsAPIKey(prefix)
}

// HashAPIKey hashes a key for storage. Keys are 256 random bits, so a fast
// hash is enough; bcrypt would only slow down every API call.
func HashAPIKey(plaintext string) []byte {
	h := sha256.Sum256([]byte(plaintext))
	return h[:]
}

// APIKeyMatches compares in constant time.
func APIKeyMatches(plaintext string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashAPIKey(plaintext), hash) == 1
}
