package graph

import (
	"context"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/graph/typed"
)

// leadFieldColumns are the columns each Lead field's resolver reads
// (id and tenant_id are always read). A field listed with nil reads columns
// not written down here, but never attributes. A page whose leads select
// only listed fields reads only the columns they need and, through
// typedAttribute, only the custom fields it shows; any other field (the
// generic attributes, and any field added later until it is listed here)
// keeps every column.
var leadFieldColumns = map[string][]string{
	"__typename": {}, "id": {}, "createdAt": {lead.FieldCreatedAt}, "updatedAt": {lead.FieldUpdatedAt},
	"seq": {lead.FieldSeq}, "name": {lead.FieldName}, "unionID": {lead.FieldUnionID},
	"openID": {lead.FieldOpenID}, "externalID": {lead.FieldExternalID}, "company": {lead.FieldCompany},
	"source": {lead.FieldSource}, "sourceDetail": {lead.FieldSourceDetail}, "status": {lead.FieldStatus},
	"score": {lead.FieldScore}, "tier": {lead.FieldTier}, "ownerID": {lead.FieldOwnerID},
	"poolID": {lead.FieldPoolID}, "stageID": {lead.FieldStageID}, "territoryID": {lead.FieldTerritoryID},
	"partnerID": {lead.FieldPartnerID}, "claimedAt": {lead.FieldClaimedAt},
	"protectedUntil": {lead.FieldProtectedUntil}, "lastFollowUpAt": {lead.FieldLastFollowUpAt},
	"locked": {lead.FieldLocked}, "referrerID": {lead.FieldReferrerID},
	"owner": {lead.FieldOwnerID}, "pool": {lead.FieldPoolID}, "stage": {lead.FieldStageID},
	"territory": {lead.FieldTerritoryID}, "partner": {lead.FieldPartnerID}, "tags": {},
	"phone": {lead.FieldPhone}, "email": {lead.FieldEmail}, "wecomContacts": {},
	typed.TypedAttributeField: {lead.FieldAttributes},
	"reachableChannels":       nil,
}

// selectLeadColumns has the lead page query q read only the columns that
// the request's edges.node selection needs, when every field it selects is
// in leadFieldColumns; otherwise q reads every column, as entgql has it.
// Fewer columns is less for PostgreSQL to send and for ent to scan: a page
// of 100 leads that shows ten of the thirty-odd columns.
func selectLeadColumns(ctx context.Context, q *ent.LeadQuery) {
	cols := []string{lead.FieldTenantID}
	ok := eachLeadNodeField(ctx, func(f graphql.CollectedField) bool {
		c, known := leadFieldColumns[f.Name]
		cols = append(cols, c...)
		return known && c != nil
	})
	if ok {
		slices.Sort(cols)
		q.Select(slices.Compact(cols)...)
	}
}

// eachLeadNodeField calls f with each field the lead page's edges.node
// selection of ctx's field selects, until f returns false; it reports
// whether every call returned true (false without a selection to read).
func eachLeadNodeField(ctx context.Context, f func(graphql.CollectedField) bool) bool {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return false
	}
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name != "node" {
				continue
			}
			for _, field := range graphql.CollectFields(oc, node.Selections, []string{"Lead", "Node"}) {
				if !f(field) {
					return false
				}
			}
		}
	}
	return true
}

// projectLeadAttributes narrows the attributes column of the lead page
// query q to the custom fields the request's edges.node selection reads
// through the typed schema (typedAttribute), so that neither PostgreSQL nor
// this process encodes, sends and decodes fifty custom fields to show three.
// It leaves q alone when the selection reads the generic attributes field,
// or a field not known to do without it. Masking is untouched: it happens
// when each value is read.
func projectLeadAttributes(ctx context.Context, q *ent.LeadQuery) {
	oc := graphql.GetOperationContext(ctx)
	keys := []string{}
	ok := eachLeadNodeField(ctx, func(f graphql.CollectedField) bool {
		if f.Name != typed.TypedAttributeField {
			_, known := leadFieldColumns[f.Name]
			return known
		}
		arg := f.Arguments.ForName("field")
		if arg == nil {
			return false
		}
		v, err := arg.Value.Value(oc.Variables)
		r, isReader := v.(ent.AttributeReader)
		if err != nil || !isReader {
			return false
		}
		keys = append(keys, r.AttributeKey())
		return true
	})
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
