package graph

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/scrmhq/scrm/internal/testenv"
)

// The narrowed attributes column keeps exactly the selected keys that the
// lead has, with their stored values (null, objects and lists included),
// and nothing else.
func TestAttributesOfKeepsOnlyTheSelectedKeys(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	stored := `{"budget": 5, "city": "sh", "note": null, "deep": {"a": null, "b": [1, null]}, "o'k": 1, "secret": "x"}`
	for _, tc := range []struct {
		keys []string
		want string
	}{
		{nil, `{}`},
		{[]string{"budget"}, `{"budget": 5}`},
		{[]string{"budget", "city", "missing"}, `{"budget": 5, "city": "sh"}`},
		{[]string{"note", "deep"}, `{"note": null, "deep": {"a": null, "b": [1, null]}}`},
		{[]string{"o'k"}, `{"o'k": 1}`},
	} {
		var got []byte
		q := `SELECT ` + attributesOf(`"leads"."attributes"`, tc.keys) + ` FROM (VALUES ($1::jsonb)) AS leads(attributes)`
		if err := db.QueryRow(q, stored).Scan(&got); err != nil {
			t.Fatalf("%v: %v\n%s", tc.keys, err, q)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal([]byte(tc.want), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("keys %v: got %s, want %s", tc.keys, got, tc.want)
		}
	}
}
