package graph_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/apitest"
)

// TestSuppressRefusesBadInput: each bad suppression is refused with its field
// and writes nothing; good ones are stored cleaned.
func TestSuppressRefusesBadInput(t *testing.T) {
	api := apitest.New(t)
	c, token := api.Workspace("acme")
	ids := seedLeads(t, api, c, 1)
	const q = `mutation($in: SuppressionInput!){ suppress(input:$in){ id kind } }`
	for _, tc := range []struct {
		in          map[string]any
		code, field string
	}{
		{map[string]any{"kind": "DND"}, "BAD_USER_INPUT", "input"},
		{map[string]any{"kind": "DND", "phone": "138****8000"}, "BAD_USER_INPUT", "input.phone"},
		{map[string]any{"kind": "DND", "phone": "12"}, "BAD_USER_INPUT", "input.phone"},
		{map[string]any{"kind": "DND", "email": "not-an-email"}, "BAD_USER_INPUT", "input.email"},
		{map[string]any{"kind": "DND", "email": "a@b.com", "until": "2000-01-01T00:00:00Z"}, "BAD_USER_INPUT", "input.until"},
		{map[string]any{"kind": "DND", "leadID": "TGVhZDowMWEyMDdjNC00NGM2LTcwMDYtYWIzOC1hY2FiYzBlNmZjZjg"}, "NOT_FOUND", "input.leadID"},
	} {
		r := api.Do(token, q, map[string]any{"in": tc.in})
		if len(r.Errors) == 0 || r.Errors[0].Code() != tc.code || r.Errors[0].Field() != tc.field {
			t.Errorf("%v: %+v; want %s at %s", tc.in, r.Errors, tc.code, tc.field)
		}
	}
	var n int
	if err := api.DB.DB.QueryRow(`SELECT count(*) FROM suppressions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused suppressions wrote %d rows (%v)", n, err)
	}
	api.MustDo(token, q, map[string]any{"in": map[string]any{"kind": "DND", "email": " Zhang@Example.com ", "leadID": ids[0]}}, nil)
	var email string
	if err := api.DB.DB.QueryRow(`SELECT email FROM suppressions WHERE lead_id IS NOT NULL`).Scan(&email); err != nil || email != "zhang@example.com" {
		t.Errorf("stored email = %q, %v", email, err)
	}
}
