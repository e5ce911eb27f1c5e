package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// stubChannel is the least a Channel can be, for registry tests.
type stubChannel struct{ name string }

func (c stubChannel) Name() string                                              { return c.name }
func (stubChannel) Requires() string                                            { return "" }
func (stubChannel) Secrets() []string                                           { return nil }
func (stubChannel) ValidateConfig(raw json.RawMessage) (json.RawMessage, error) { return raw, nil }
func (stubChannel) Open(json.RawMessage, Options) (Sender, error)               { return stubSender{}, nil }

type stubSender struct{}

func (stubSender) Reachable(Recipient) bool                        { return true }
func (stubSender) Send(context.Context, Message) (Receipt, error)  { return Receipt{}, nil }
func (stubSender) ParseCallback(*http.Request) ([]Callback, error) { return nil, ErrUnsupported }
func (stubSender) Close() error                                    { return nil }

// The registry is process-wide: this test uses names no real channel has, is not
// parallel, and removes its entries so it can run again (-count).
func TestRegistry(t *testing.T) {
	t.Cleanup(func() {
		registryMu.Lock()
		defer registryMu.Unlock()
		delete(registry, "test-a")
		delete(registry, "test-b")
	})
	Register(stubChannel{"test-b"})
	Register(stubChannel{"test-a"})
	if c, ok := Lookup("test-a"); !ok || c.Name() != "test-a" {
		t.Errorf("Lookup(test-a) = %v, %v", c, ok)
	}
	if _, ok := Lookup("test-missing"); ok {
		t.Error("Lookup of an unregistered name succeeded")
	}
	names := Names()
	if !slices.IsSorted(names) || !slices.Contains(names, "test-a") || !slices.Contains(names, "test-b") {
		t.Errorf("Names() = %v, want sorted and holding test-a, test-b", names)
	}

	for _, tt := range []struct {
		name string
		c    Channel
	}{
		{"duplicate", stubChannel{"test-a"}},
		{"empty name", stubChannel{""}},
		{"nil", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			Register(tt.c)
		})
	}
	if c, _ := Lookup("test-a"); c != (stubChannel{"test-a"}) {
		t.Error("a failed Register replaced the channel")
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("550 no such user")
	perm := Permanent(base)
	wrapped := fmt.Errorf("send: %w", perm)
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"permanent", perm, true},
		{"wrapped permanent", wrapped, true},
		{"temporary", base, false},
		{"nil", nil, false},
		{"joined", errors.Join(errors.New("x"), perm), true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !errors.Is(wrapped, base) || perm.Error() != base.Error() {
		t.Errorf("Permanent hides its cause: %v", perm)
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	if Permanent(perm) != perm {
		t.Error("Permanent wraps an already permanent error again")
	}
}

func TestConfigError(t *testing.T) {
	t.Parallel()
	if got := (&ConfigError{Key: "url", Message: "must use https"}).Error(); got != "url: must use https" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&ConfigError{Message: "config must be a JSON object"}).Error(); got != "config must be a JSON object" {
		t.Errorf("Error() = %q", got)
	}
}
