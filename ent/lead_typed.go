package ent

// This file is hand-written (entc leaves it alone): the method gqlgen binds
// Lead.typedAttribute to (graph/schema/typed.graphql).

// AttributeReader reads one custom field of a lead in its typed GraphQL
// form. graph/typed makes one per custom field and request, holding what
// the value depends on (the field's definition, the viewer's contact
// grant), and passes it as the field argument of typedAttribute.
type AttributeReader interface {
	ReadAttribute(l *Lead) any
	// AttributeKey is the key of the custom field it reads: a page of leads
	// loads only the keys its selection reads (graph.projectLeadAttributes).
	AttributeKey() string
}

// TypedAttribute serves every custom-field selection of a workspace's
// typed schema, which graph/typed rewrites to typedAttribute(field:
// <reader>). It takes no context, so gqlgen calls it in line instead of
// in a goroutine per lead and field as it does for resolvers: a page of 100
// leads with 5 custom fields would otherwise start 500 goroutines. Any
// other argument reads as null.
func (l *Lead) TypedAttribute(field any) any {
	if r, ok := field.(AttributeReader); ok {
		return r.ReadAttribute(l)
	}
	return nil
}
