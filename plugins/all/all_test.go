package all_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/scrmhq/scrm/plugins"
	_ "github.com/scrmhq/scrm/plugins/all"
)

// TestChannels checks the contract every registered channel shares.
func TestChannels(t *testing.T) {
	t.Parallel()
	if got, want := plugins.Names(), []string{"email", "sms", "webhook", "wecom"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	requires := map[string]string{"email": plugins.ReachEmail, "sms": plugins.ReachSMS, "webhook": "", "wecom": plugins.ReachWeCom}
	for _, name := range plugins.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ch, ok := plugins.Lookup(name)
			if !ok || ch.Name() != name {
				t.Fatalf("Lookup(%q) = %v, %v", name, ch, ok)
			}
			if ch.Requires() != requires[name] {
				t.Errorf("Requires() = %q, want %q", ch.Requires(), requires[name])
			}
			if len(ch.Secrets()) == 0 {
				t.Error("no secret keys: every channel has a credential")
			}
			for _, raw := range []string{``, `null`, `[]`, `"x"`, `{`, `{"unknownKey":1}`} {
				_, err := ch.ValidateConfig(json.RawMessage(raw))
				var cerr *plugins.ConfigError
				if !errors.As(err, &cerr) {
					t.Errorf("ValidateConfig(%s) = %v, want a *ConfigError", raw, err)
				}
			}
			if _, err := ch.Open(json.RawMessage(`{}`), plugins.Options{}); err == nil {
				t.Error("Open accepted an empty config")
			}
		})
	}
}
