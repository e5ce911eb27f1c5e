package fields_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		key string
		ok  bool
	}{
		{"city", true},
		{"a", true},
		{"industry_2", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"City", false},
		{"2city", false},
		{"_city", false},
		{"city-name", false},
		{"city name", false},
		{"城市", false},
		{"a'; DROP TABLE leads; --", false},
		{"status", false},
		{"source_detail", false},
		{"sourcedetail", false}, // GraphQL sourceDetail, spelled without the underscore
		{"created_at", false},
		{"createdat", false},
		{"owner_id", false},
		{"ownerid", false},
		{"attributes", false},
		{"tags", false},
		{"deleted_at", false},
		{"status_note", true},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			err := fields.ValidKey(tc.key)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
			}
			if err != nil && !errors.Is(err, fields.ErrInvalidKey) {
				t.Fatalf("error %v does not wrap ErrInvalidKey", err)
			}
		})
	}
}

// TestReservedKeysCoverCamelCase keeps the GraphQL spellings in the list.
func TestReservedKeysCoverCamelCase(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"sourceDetail", "unionID", "createdAt", "lastFollowUpAt", "ownerID"} {
		found := false
		for _, r := range fields.ReservedKeys {
			found = found || r == k
		}
		if !found {
			t.Errorf("%s missing from ReservedKeys", k)
		}
	}
}
