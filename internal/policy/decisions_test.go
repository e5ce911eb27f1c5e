package policy

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readCSV reads a testdata CSV with # comments into trimmed records.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		out = append(out, rec)
	}
}

// fixtureStore returns a store holding testdata/workspace_rules.csv.
func fixtureStore(t *testing.T) *MemoryStore {
	t.Helper()
	var rules []Rule
	for _, rec := range readCSV(t, "testdata/workspace_rules.csv") {
		if len(rec) != 6 || rec[0] != "p" {
			t.Fatalf("workspace_rules.csv: bad row %q", rec)
		}
		rules = append(rules, Rule{Role: rec[1], Workspace: rec[2], Resource: rec[3], Action: rec[4], Effect: rec[5]})
	}
	return NewMemoryStore(rules...)
}

func newFixtureEnforcer(t *testing.T) (*Enforcer, *MemoryStore) {
	t.Helper()
	store := fixtureStore(t)
	e, err := New(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	return e, store
}

// TestDecisions runs the decision table in testdata/decisions.csv against the
// embedded policies/ files and the workspace rows of workspace_rules.csv.
func TestDecisions(t *testing.T) {
	t.Parallel()
	e, _ := newFixtureEnforcer(t)
	rows := readCSV(t, "testdata/decisions.csv")
	if len(rows) < 40 {
		t.Fatalf("decision table has %d rows, want at least 40", len(rows))
	}
	seen := map[string]bool{}
	for _, rec := range rows {
		if len(rec) != 5 {
			t.Fatalf("decisions.csv: bad row %q", rec)
		}
		want, err := strconv.ParseBool(rec[4])
		if err != nil {
			t.Fatalf("decisions.csv: bad allowed in %q", rec)
		}
		roles := strings.Split(rec[0], "|")
		name := strings.Join(rec[:4], " ")
		t.Run(name, func(t *testing.T) {
			got, err := e.Allowed(rec[1], roles, rec[2], rec[3])
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Allowed(%s, %v, %s, %s) = %v, want %v", rec[1], roles, rec[2], rec[3], got, want)
			}
		})
		for _, r := range roles {
			seen[r] = true
		}
	}
	for _, r := range e.roles {
		if !seen[r] {
			t.Errorf("decision table has no row for built-in role %q", r)
		}
	}
}
