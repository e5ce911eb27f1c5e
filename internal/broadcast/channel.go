package broadcast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/channel"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/txn"
	"github.com/scrmhq/scrm/plugins"
)

// Redacted stands for a secret a client shows as hidden; sending it back in
// a configureChannel keeps the stored secret.
const Redacted = "********"

// RequiresKey is a config key every channel takes besides its plugin's own:
// the reachability flag (PHONE, SMS, WECOM, OFFICIAL_ACCOUNT, EMAIL) a lead
// needs to be sent on this channel, instead of the plugin's default. A
// webhook that bridges to the workspace's own WeCom gateway sets "WECOM".
const RequiresKey = "requires"

var reachFlags = []string{plugins.ReachPhone, plugins.ReachSMS, plugins.ReachWeCom, plugins.ReachOfficialAccount, plugins.ReachEmail}

// requires is the reachability flag a lead needs on ch.
func requires(plug plugins.Channel, ch *ent.Channel) string {
	if r, ok := ch.Config[RequiresKey].(string); ok && r != "" {
		return r
	}
	return plug.Requires()
}

func aad(tid uuid.UUID, key string) []byte { return []byte(tid.String() + "/" + key) }

// Configure validates a channel plugin's config and stores it for the
// workspace: the secret keys sealed, the rest in clear. A secret left out or
// given as Redacted keeps its stored value, so an admin can change other
// keys without re-entering passwords. c is the caller's client.
func (s *Service) Configure(ctx context.Context, key string, config map[string]any, enabled *bool) (*ent.Channel, error) {
	c := s.db(ctx)
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	plug, ok := plugins.Lookup(key)
	if !ok {
		return nil, apperr.Input("key", "%q is not a channel (one of %s)", clip(key), strings.Join(plugins.Names(), ", "))
	}
	existing, err := c.Channel.Query().Where(channel.Key(key)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	merged := maps.Clone(config)
	if merged == nil {
		merged = map[string]any{}
	}
	if existing != nil {
		old, err := s.secrets(tid, existing)
		if err != nil {
			return nil, err
		}
		for _, k := range plug.Secrets() {
			if v, given := merged[k]; (!given || v == Redacted) && old[k] != nil {
				merged[k] = old[k]
			}
		}
	}
	req, hasReq := merged[RequiresKey]
	delete(merged, RequiresKey)
	if r, ok := req.(string); hasReq && req != nil && (!ok || (r != "" && !slices.Contains(reachFlags, r))) {
		return nil, apperr.Input("config."+RequiresKey, "one of %s", strings.Join(reachFlags, ", "))
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return nil, apperr.Input("config", "config is not a JSON object")
	}
	norm, err := plug.ValidateConfig(raw)
	if err != nil {
		var ce *plugins.ConfigError
		if errors.As(err, &ce) && ce.Key != "" {
			return nil, apperr.Input("config."+ce.Key, "%s", ce.Message)
		}
		return nil, apperr.Input("config", "%s", err.Error())
	}
	var clear map[string]any
	if err := json.Unmarshal(norm, &clear); err != nil {
		return nil, fmt.Errorf("channel %s: normalised config: %w", key, err)
	}
	if r, _ := req.(string); r != "" {
		clear[RequiresKey] = r
	}
	secret := map[string]any{}
	for _, k := range plug.Secrets() {
		if v, ok := clear[k]; ok {
			secret[k] = v
			delete(clear, k)
		}
	}
	plain, err := json.Marshal(secret)
	if err != nil {
		return nil, err
	}
	sealed, err := s.Box.Seal(plain, aad(tid, key))
	if err != nil {
		return nil, err
	}
	if existing == nil {
		create := c.Channel.Create().SetKey(key).SetConfig(clear).SetSecrets(sealed)
		if enabled != nil {
			create.SetEnabled(*enabled)
		}
		return create.Save(ctx)
	}
	up := c.Channel.UpdateOne(existing).SetConfig(clear).SetSecrets(sealed)
	if enabled != nil {
		up.SetEnabled(*enabled)
	}
	return up.Save(ctx)
}

// secrets opens a channel's sealed secret keys.
func (s *Service) secrets(tid uuid.UUID, ch *ent.Channel) (map[string]any, error) {
	out := map[string]any{}
	if len(ch.Secrets) == 0 {
		return out, nil
	}
	plain, err := s.Box.Open(ch.Secrets, aad(tid, ch.Key))
	if err != nil {
		return nil, fmt.Errorf("channel %s: secrets cannot be opened (was SCRM_SECRET changed?): %w", ch.Key, err)
	}
	return out, json.Unmarshal(plain, &out)
}

// sender opens the workspace's configured channel key; requires is the
// reachability flag its leads need.
func (s *Service) sender(ctx context.Context, c *ent.Client, key string) (snd plugins.Sender, need string, err error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, "", err
	}
	plug, ok := plugins.Lookup(key)
	if !ok {
		return nil, "", fmt.Errorf("channel %q is not installed", key)
	}
	ch, err := c.Channel.Query().Where(channel.Key(key)).Only(ctx)
	if err != nil {
		return nil, "", err
	}
	if !ch.Enabled {
		return nil, "", fmt.Errorf("channel %q is disabled", key)
	}
	cfg := maps.Clone(ch.Config)
	delete(cfg, RequiresKey)
	sec, err := s.secrets(tid, ch)
	if err != nil {
		return nil, "", err
	}
	maps.Copy(cfg, sec)
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, "", err
	}
	snd, err = plug.Open(raw, plugins.Options{HTTPClient: s.HTTPClient, DialContext: s.DialContext, Now: s.now})
	return snd, requires(plug, ch), err
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// ChannelConfig returns the workspace's config of channel key as its plugin
// reads it (secrets opened), for services that act for a channel beyond
// sending (the WeCom customer layer, internal/wecom). ent's NotFound when
// the workspace has not configured it.
func (s *Service) ChannelConfig(ctx context.Context, key string) (cfg json.RawMessage, enabled bool, err error) {
	tid, err := txn.Tenant(ctx)
	if err != nil {
		return nil, false, err
	}
	ch, err := s.db(ctx).Channel.Query().Where(channel.Key(key)).Only(ctx)
	if err != nil {
		return nil, false, err
	}
	all := maps.Clone(ch.Config)
	delete(all, RequiresKey)
	sec, err := s.secrets(tid, ch)
	if err != nil {
		return nil, false, err
	}
	maps.Copy(all, sec)
	raw, err := json.Marshal(all)
	return raw, ch.Enabled, err
}
