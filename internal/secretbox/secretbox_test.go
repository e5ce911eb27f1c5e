package secretbox_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/scrmhq/scrm/internal/secretbox"
)

func TestSealOpen(t *testing.T) {
	b, err := secretbox.New("0123456789abcdef-server-secret")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"password":"s3cret"}`)
	sealed, err := b.Seal(plain, []byte("ws-1/email"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("sealed value contains the plain text")
	}
	again, _ := b.Seal(plain, []byte("ws-1/email"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same value are equal (nonce reuse)")
	}
	got, err := b.Open(sealed, []byte("ws-1/email"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	// Another row, a flipped bit, another key: refused.
	if _, err := b.Open(sealed, []byte("ws-2/email")); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("other aad: %v", err)
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := b.Open(bad, []byte("ws-1/email")); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("altered: %v", err)
	}
	other, _ := secretbox.New("another-server-secret-0123")
	if _, err := other.Open(sealed, []byte("ws-1/email")); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("other key: %v", err)
	}
	if _, err := b.Open([]byte{1, 2}, nil); !errors.Is(err, secretbox.ErrOpen) {
		t.Errorf("short: %v", err)
	}
	if _, err := secretbox.New("short"); err == nil {
		t.Error("a short secret was accepted")
	}
}
