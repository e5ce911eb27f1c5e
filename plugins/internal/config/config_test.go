package config

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/scrmhq/scrm/plugins"
)

type sample struct {
	URL     string            `json:"url"`
	Count   int               `json:"count,omitempty"`
	Flag    bool              `json:"flag"`
	Headers map[string]string `json:"headers"`
	Ignored string            `json:"-"`
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		wantKey string
		wantErr bool
	}{
		{raw: `{"url":"x","count":2,"flag":true,"headers":{"a":"b"}}`},
		{raw: `{}`},
		{raw: `null`, wantErr: true},
		{raw: `[]`, wantErr: true},
		{raw: `{"url":"x",`, wantErr: true},
		{raw: `{"Ignored":"x"}`, wantErr: true, wantKey: "Ignored"},
		{raw: `{"zeta":1,"alpha":2}`, wantErr: true, wantKey: "alpha"},
		{raw: `{"count":"2"}`, wantErr: true, wantKey: "count"},
		{raw: `{"count":1.5}`, wantErr: true, wantKey: "count"},
		{raw: `{"flag":"yes"}`, wantErr: true, wantKey: "flag"},
		{raw: `{"headers":{"a":1}}`, wantErr: true, wantKey: "headers"},
	}
	for _, tt := range tests {
		var s sample
		err := Decode(json.RawMessage(tt.raw), &s)
		if !tt.wantErr {
			if err != nil {
				t.Errorf("Decode(%s): %v", tt.raw, err)
			}
			continue
		}
		var cerr *plugins.ConfigError
		if !errors.As(err, &cerr) || cerr.Key != tt.wantKey {
			t.Errorf("Decode(%s) = %v, want a ConfigError for %q", tt.raw, err, tt.wantKey)
		}
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		ok   bool
		base string // BaseURL's result, when it accepts
	}{
		{raw: "https://api.example.com/v1/", ok: true, base: "https://api.example.com/v1"},
		{raw: "https://api.example.com", ok: true, base: "https://api.example.com"},
		{raw: "http://localhost:8080/x", ok: true, base: "http://localhost:8080/x"},
		{raw: "http://127.0.0.1/x", ok: true, base: "http://127.0.0.1/x"},
		{raw: "http://[::1]/x", ok: true, base: "http://[::1]/x"},
		{raw: "https://api.example.com/hook?team=1", ok: true},
		{raw: "http://localhost.example.com/x"},
		{raw: "http://192.168.1.10/x"},
		{raw: "http://[::ffff:127.0.0.1]/x", ok: true, base: "http://[::ffff:127.0.0.1]/x"},
		{raw: "https://user:pass@api.example.com"},
		{raw: "https://api.example.com/#frag"},
		{raw: "mailto:a@example.com"},
		{raw: "api.example.com/v1"},
		{raw: ""},
	}
	for _, tt := range tests {
		_, err := URL("k", tt.raw)
		if (err == nil) != tt.ok {
			t.Errorf("URL(%q) = %v, want ok %v", tt.raw, err, tt.ok)
		}
		base, err := BaseURL("k", tt.raw)
		if tt.base != "" && (err != nil || base != tt.base) {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tt.raw, base, err, tt.base)
		}
		if tt.base == "" && err == nil {
			t.Errorf("BaseURL(%q) accepted %q", tt.raw, base)
		}
	}
}

func TestStringAndInt(t *testing.T) {
	t.Parallel()
	if err := String("k", "", 0, 5); err != nil {
		t.Errorf("optional empty: %v", err)
	}
	for _, v := range []string{"", "ab", "abcdef", " abc"} {
		if err := String("k", v, 3, 5); err == nil {
			t.Errorf("String(%q) accepted", v)
		}
	}
	if err := String("k", "你好世界", 3, 4); err != nil {
		t.Errorf("length counts characters, not bytes: %v", err)
	}
	n := 0
	if err := Int("k", &n, 10, 1, 60); err != nil || n != 10 {
		t.Errorf("default: %d, %v", n, err)
	}
	n = 61
	if err := Int("k", &n, 10, 1, 60); err == nil {
		t.Error("61 accepted")
	}
}
