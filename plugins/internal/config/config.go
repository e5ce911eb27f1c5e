// Package config decodes and checks the JSON configs of channels, turning every problem
// into a *plugins.ConfigError that names the key, so the admin UI can point at the field.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/scrmhq/scrm/plugins"
)

// Decode unmarshals a config object into dst, a pointer to a struct with json tags. Keys
// that dst does not declare are rejected rather than ignored, so a typo ("secert") is
// reported instead of silently falling back to a default.
func Decode(raw json.RawMessage, dst any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return &plugins.ConfigError{Message: "config must be a JSON object"}
	}
	known := keys(dst)
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // report the same key every time
	for _, name := range names {
		if !slices.Contains(known, name) {
			return &plugins.ConfigError{Key: name, Message: "unknown key"}
		}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return &plugins.ConfigError{Key: typeErr.Field, Message: "must be " + kind(typeErr.Type)}
		}
		return &plugins.ConfigError{Message: "config is not valid JSON: " + err.Error()}
	}
	return nil
}

// Encode marshals a checked config, the normalised form ValidateConfig returns.
func Encode(cfg any) (json.RawMessage, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return b, nil
}

func keys(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "of type " + t.String()
	}
}

// String checks a string value's presence and length in characters. min 0 means
// optional.
func String(key, v string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0 && minLen > 0:
		return &plugins.ConfigError{Key: key, Message: "is required"}
	case n < minLen:
		return &plugins.ConfigError{Key: key, Message: fmt.Sprintf("must be at least %d characters", minLen)}
	case n > maxLen:
		return &plugins.ConfigError{Key: key, Message: fmt.Sprintf("must be at most %d characters", maxLen)}
	case strings.TrimSpace(v) != v:
		return &plugins.ConfigError{Key: key, Message: "must not start or end with spaces"}
	}
	return nil
}

// Int fills in def when *v is 0 (absent) and checks the range.
func Int(key string, v *int, def, minVal, maxVal int) error {
	if *v == 0 {
		*v = def
	}
	if *v < minVal || *v > maxVal {
		return &plugins.ConfigError{Key: key, Message: fmt.Sprintf("must be between %d and %d", minVal, maxVal)}
	}
	return nil
}

// URL checks an endpoint: an absolute https URL without credentials or fragment, or
// plain http to a loopback host (local receivers and tests).
func URL(key, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, &plugins.ConfigError{Key: key, Message: "is required"}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, &plugins.ConfigError{Key: key, Message: "must be an absolute URL"}
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	case u.Scheme == "http":
		return nil, &plugins.ConfigError{Key: key, Message: "must use https (http only for loopback hosts)"}
	default:
		return nil, &plugins.ConfigError{Key: key, Message: "must be an https URL"}
	}
	if u.User != nil {
		return nil, &plugins.ConfigError{Key: key, Message: "must not contain credentials"}
	}
	if u.Fragment != "" {
		return nil, &plugins.ConfigError{Key: key, Message: "must not have a fragment"}
	}
	return u, nil
}

// BaseURL checks a provider's base URL like URL, also refusing a query, and returns it
// without a trailing slash so API paths can be appended.
func BaseURL(key, raw string) (string, error) {
	u, err := URL(key, raw)
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return "", &plugins.ConfigError{Key: key, Message: "must not have a query"}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// IsLoopback reports whether host (no port) is localhost or a loopback address
// (127.0.0.0/8, ::1).
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
