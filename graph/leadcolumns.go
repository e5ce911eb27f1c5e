package graph

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
)

// leadFieldsWithoutAttributes are the Lead fields whose resolvers never
// read the lead's attributes column. A page whose leads select only these
// (and typedAttribute) reads from PostgreSQL only the custom fields it
// shows; any other field (attributes, and any field added later until it
// is listed here) keeps the whole column.
var leadFieldsWithoutAttributes = map[string]bool{
	"__typename": true, "id": true, "createdAt": true, "updatedAt": true, "seq": true, "name": true,
	"unionID": true, "openID": true, "externalID": true, "company": true, "source": true,
	"sourceDetail": true, "status": true, "score": true, "tier": true, "ownerID": true, "poolID": true,
	"stageID": true, "territoryID": true, "partnerID": true, "claimedAt": true, "protectedUntil": true,
	"lastFollowUpAt": true, "locked": true, "referrerID": true, "owner": true, "pool": true,
	"stage": true, "territory": true, "partner": true, "tags": true, "phone": true, "email": true,
	"reachableChannels": true, "wecomContacts": true,
}

// projectLeadAttributes narrows the attributes column of the lead page
// query q to the custom fields the request's edges.node selection reads
// through the typed schema (typedAttribute), so that neither PostgreSQL nor
// this process encodes, sends and decodes fifty custom fields to show three.
// It leaves q alone when the selection reads the generic attributes field,
// or a field not known to do without it. Masking is untouched: it happens
// when each value is read.
func projectLeadAttributes(ctx context.Context, q *ent.LeadQuery) {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return
	}
	keys, ok := []string{}, true
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		switch edges.Name {
		case "edges":
			for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
				if node.Name == "node" {
					keys, ok = typedKeys(oc, node.Selections, keys, ok)
				}
			}
		}
	}
	if !ok {
		return
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	q.Modify(func(s *sql.Selector) {
		cols := s.SelectedColumns()
		full := s.C(lead.FieldAttributes)
		i := slices.Index(cols, full)
		if i < 0 {
			return
		}
		cols[i] = attributesOf(full, keys) + ` AS "` + lead.FieldAttributes + `"`
		s.Select(cols...)
	})
}

// typedKeys adds to keys the custom fields of a Lead selection; ok turns
// false at the first field that may need the whole attributes column.
func typedKeys(oc *graphql.OperationContext, set []ast.Selection, keys []string, ok bool) ([]string, bool) {
	for _, f := range graphql.CollectFields(oc, set, []string{"Lead", "Node"}) {
		if !ok {
			return keys, false
		}
		if f.Name == "typedAttribute" {
			arg := f.Arguments.ForName("field")
			if arg == nil {
				return keys, false
			}
			v, err := arg.Value.Value(oc.Variables)
			r, isReader := v.(ent.AttributeReader)
			if err != nil || !isReader {
				return keys, false
			}
			keys = append(keys, r.AttributeKey())
			continue
		}
		ok = leadFieldsWithoutAttributes[f.Name]
	}
	return keys, ok
}

// attributesOf is the SQL expression of column col narrowed to keys: the
// object of those keys that col has, with their values as stored.
func attributesOf(col string, keys []string) string {
	if len(keys) == 0 {
		return `'{}'::jsonb`
	}
	var b strings.Builder
	b.WriteString("(")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" || ")
		}
		// Keys are identifiers (fields.ValidKey); quoting keeps any other
		// text a literal all the same.
		lit := "'" + strings.ReplaceAll(k, "'", "''") + "'"
		b.WriteString("CASE WHEN " + col + " ? " + lit + " THEN jsonb_build_object(" + lit + ", " + col + "->" + lit + ") ELSE '{}'::jsonb END")
	}
	b.WriteString(")")
	return b.String()
}
