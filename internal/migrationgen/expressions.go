package migrationgen

import (
	"fmt"

	atlas "ariga.io/atlas/sql/schema"
)

// IndexExpressions are the expression parts of indexes that ent/schema
// cannot declare (ent's index.Fields names columns only). The index is
// declared in ent/schema with columns; the diff hook (Options) replaces the
// part of each column named here by its expression, by the index's name,
// before Atlas compares, so the migrations create the expression index and
// the drift test (internal/platform) expects it. Each expression is written
// as PostgreSQL prints it back (pg_get_indexdef), or every diff would
// recreate the index.
var IndexExpressions = map[string]map[string]string{
	// NAME_COMPANY duplicate review (internal/duplicates): company and name
	// compared lower-cased and trimmed.
	"lead_active_company_name": {
		"company": "lower(btrim((company)::text))",
		"name":    "lower(btrim((name)::text))",
	},
}

// indexExpressions applies IndexExpressions to the desired schema.
func indexExpressions(s *atlas.Schema) error {
	for _, t := range s.Tables {
		for _, idx := range t.Indexes {
			exprs, ok := IndexExpressions[idx.Name]
			if !ok {
				continue
			}
			done := 0
			for _, p := range idx.Parts {
				if p.C == nil {
					continue
				}
				if x, ok := exprs[p.C.Name]; ok {
					p.C, p.X = nil, &atlas.RawExpr{X: x}
					done++
				}
			}
			if done != len(exprs) {
				return fmt.Errorf("migrationgen: index %s lacks a column of IndexExpressions", idx.Name)
			}
		}
	}
	return nil
}
