package tagging

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"
	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
)

// Kinds of the things that name a tag, in Reference.Kind.
const (
	RefSegment        = "SEGMENT"         // a segment's rule (tag condition)
	RefJourney        = "JOURNEY"         // a journey's trigger, steps or exit rule (not archived)
	RefAssignmentRule = "ASSIGNMENT_RULE" // an assignment rule's condition names the tag
	RefScoringRule    = "SCORING_RULE"    // a scoring rule's condition names the tag
	RefContactWay     = "CONTACT_WAY"     // a contact-way code puts the tag on its leads (not deleted)
	RefSavedView      = "SAVED_VIEW"      // a saved view of the leads list filters by the tag
	RefWeCom          = "WECOM_CORP_TAG"  // the tag or group is linked to a WeCom corp tag
)

// maxReferencesShown bounds the references a refusal lists
// (extensions.referenceCount counts them all).
const maxReferencesShown = 10

// Reference is one thing that names a tag: its kind (Ref*), its name, and
// the tag it names (a group's delete looks at all of the group's tags).
type Reference struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Tag  string `json:"tag"`
}

// referencesSQL finds the segments, journeys, contact-way codes and saved
// views whose JSON names one of the tag ids $2 (as text: an id is a UUID,
// which cannot appear by chance in any other value of those documents), one
// row per thing and tag. Every table is filtered by the bound tenant $1.
const referencesSQL = `
WITH ids AS (SELECT unnest($2::text[]) AS id)
SELECT 'SEGMENT', s.name, ids.id FROM segments s JOIN ids ON strpos(s.rule::text, ids.id) > 0
	WHERE s.tenant_id = $1::uuid
UNION ALL
SELECT 'JOURNEY', j.name, ids.id FROM journeys j JOIN ids ON strpos(j."trigger"::text, ids.id) > 0
		OR EXISTS (SELECT 1 FROM journey_versions v WHERE v.tenant_id = $1::uuid AND v.journey_id = j.id
			AND strpos(v.steps::text || coalesce(v.exit_rule::text, ''), ids.id) > 0)
	WHERE j.tenant_id = $1::uuid AND j.status <> 'ARCHIVED'
UNION ALL
SELECT 'CONTACT_WAY', w.name, ids.id FROM contact_ways w JOIN ids ON strpos(coalesce(w.tag_ids::text, ''), ids.id) > 0
	WHERE w.tenant_id = $1::uuid AND w.deleted_at IS NULL
UNION ALL
SELECT 'SAVED_VIEW', v.name, ids.id FROM saved_views v JOIN ids ON strpos(v.state::text, ids.id) > 0
	WHERE v.tenant_id = $1::uuid
`

// rulesSQL returns the rule conditions (enabled or not: a disabled rule
// is turned on again as it is) that contain one of the names $2 as text;
// namedIn then parses each to make sure it names the tag as a string.
const rulesSQL = `
WITH names AS (SELECT unnest($2::text[]) AS name)
SELECT 'ASSIGNMENT_RULE', r.name, r.condition FROM assignment_rules r
	WHERE r.tenant_id = $1::uuid AND EXISTS (SELECT 1 FROM names WHERE strpos(r.condition, names.name) > 0)
UNION ALL
SELECT 'SCORING_RULE', r.name, r.condition FROM scoring_rules r
	WHERE r.tenant_id = $1::uuid AND EXISTS (SELECT 1 FROM names WHERE strpos(r.condition, names.name) > 0)
`

// references lists what names the tags (by id: segments, journeys, codes,
// saved views; by name: rule conditions), in kind order, then by name.
// withIDs false looks at the rule conditions only (a rename: everything
// else names tags by id).
func references(ctx context.Context, c *ent.Client, tid uuid.UUID, tags []*ent.Tag, withIDs bool) ([]Reference, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	ids := make([]string, len(tags))
	names := make([]string, len(tags))
	nameOf := make(map[string]string, len(tags))
	for i, t := range tags {
		ids[i], names[i] = t.ID.String(), t.Name
		nameOf[ids[i]] = t.Name
	}
	var out []Reference
	if withIDs {
		rows, err := c.QueryContext(ctx, referencesSQL, tid, textArray(ids))
		if err != nil {
			return nil, fmt.Errorf("tag references: %w", err)
		}
		for rows.Next() {
			var r Reference
			var id string
			if err := rows.Scan(&r.Kind, &r.Name, &id); err != nil {
				rows.Close()
				return nil, err
			}
			r.Tag = nameOf[id]
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rows, err := c.QueryContext(ctx, rulesSQL, tid, textArray(names))
	if err != nil {
		return nil, fmt.Errorf("tag references in rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reference
		var cond string
		if err := rows.Scan(&r.Kind, &r.Name, &cond); err != nil {
			return nil, err
		}
		for _, n := range namedIn(cond, names) {
			r.Tag = n
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortReferences(out)
	return slices.Compact(out), nil
}

// sortReferences orders refs by kind (Ref* order), name and tag.
func sortReferences(refs []Reference) {
	order := []string{RefWeCom, RefSegment, RefJourney, RefAssignmentRule, RefScoringRule, RefContactWay, RefSavedView}
	slices.SortStableFunc(refs, func(a, b Reference) int {
		if d := slices.Index(order, a.Kind) - slices.Index(order, b.Kind); d != 0 {
			return d
		}
		if d := strings.Compare(a.Name, b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Tag, b.Tag)
	})
}

// namedIn returns which of names the CEL condition has as a string
// literal ("VIP" in tags, tags.exists(t, t == "VIP")): rule conditions see
// a lead's tags by name. A condition that does not parse is taken to name
// a tag when its text holds the name quoted, the cautious answer.
func namedIn(cond string, names []string) []string {
	var out []string
	parsed, errs := parser.Parse(common.NewTextSource(cond))
	if len(errs.GetErrors()) > 0 {
		for _, n := range names {
			if strings.Contains(cond, `"`+n+`"`) || strings.Contains(cond, `'`+n+`'`) {
				out = append(out, n)
			}
		}
		return out
	}
	celast.PreOrderVisit(parsed.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.LiteralKind {
			return
		}
		if s, ok := x.AsLiteral().(types.String); ok && slices.Contains(names, string(s)) && !slices.Contains(out, string(s)) {
			out = append(out, string(s))
		}
	}))
	return out
}

// refuse returns the CONFLICT at field for refs (nil when there are none):
// its message names the first few references in English, and its Details
// carry them (extensions.references, the first maxReferencesShown, and
// extensions.referenceCount) for a client to say in its own language.
func refuse(field, what string, refs []Reference) error {
	if len(refs) == 0 {
		return nil
	}
	shown := refs[:min(len(refs), maxReferencesShown)]
	parts := make([]string, len(shown))
	for i, r := range shown {
		parts[i] = fmt.Sprintf("%s %q", strings.ToLower(strings.ReplaceAll(r.Kind, "_", " ")), r.Name)
		if r.Tag != "" && r.Kind != RefWeCom {
			parts[i] += fmt.Sprintf(" (tag %q)", r.Tag)
		}
	}
	msg := fmt.Sprintf("%s is used by %s", what, strings.Join(parts, ", "))
	if len(refs) > len(shown) {
		msg += fmt.Sprintf(" and %d more", len(refs)-len(shown))
	}
	e := apperr.Wrap(ErrInUse, apperr.Conflict, field, msg)
	e.Details = map[string]any{"references": shown, "referenceCount": len(refs)}
	return e
}

// textArray binds s as one text[] parameter.
func textArray(s []string) any { return pq.StringArray(s) }
