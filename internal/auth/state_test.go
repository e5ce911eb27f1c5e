package auth_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/auth"
)

// TestState: a signed OAuth state verifies only for its purpose, workspace
// and nonce, before its expiry, and is WeCom-safe (letters and digits, at
// most 128).
func TestState(t *testing.T) {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tokens := auth.NewTokens("state-secret-0123456789", clock)
	ws, other := uuid.New(), uuid.New()
	state, nonce, err := tokens.SignState("wecom-oauth", ws, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`).MatchString(state) {
		t.Fatalf("state %q is not what WeCom takes", state)
	}
	if err := tokens.VerifyState("wecom-oauth", ws, state, nonce); err != nil {
		t.Fatalf("the state itself: %v", err)
	}
	flip := []byte(state)
	flip[40] ^= 1 // a digit of the nonce or expiry, still hex-ish
	for name, tc := range map[string]struct {
		purpose     string
		ws          uuid.UUID
		state, nonc string
		secret      string
	}{
		"another purpose":   {"other", ws, state, nonce, ""},
		"another workspace": {"wecom-oauth", other, state, nonce, ""},
		"another nonce":     {"wecom-oauth", ws, state, "0000000000000000", ""},
		"no nonce":          {"wecom-oauth", ws, state, "", ""},
		"changed":           {"wecom-oauth", ws, string(flip), nonce, ""},
		"truncated":         {"wecom-oauth", ws, state[:len(state)-2], nonce, ""},
		"another secret":    {"wecom-oauth", ws, state, nonce, "another-secret-0123456789"},
	} {
		tk := tokens
		if tc.secret != "" {
			tk = auth.NewTokens(tc.secret, clock)
		}
		if err := tk.VerifyState(tc.purpose, tc.ws, tc.state, tc.nonc); !errors.Is(err, auth.ErrBadState) {
			t.Errorf("%s: %v, want ErrBadState", name, err)
		}
	}
	now = now.Add(10 * time.Minute)
	if err := tokens.VerifyState("wecom-oauth", ws, state, nonce); !errors.Is(err, auth.ErrBadState) {
		t.Errorf("expired: %v", err)
	}
}
