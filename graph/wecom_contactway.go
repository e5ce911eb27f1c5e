package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/ent/contactway"
	"github.com/scrmhq/scrm/graph/model"
)

// WeComContact.contactWay without a statement per contact: the first
// contact of a scope to be resolved reads the codes of every state in the
// scope in one statement, and the others find theirs in what it read. The
// scope is the page of leads the contacts hang from (a LeadConnection:
// leads, a segment's members), else the one lead's list of contacts (the
// lead page's 企业微信 section). gqlgen resolves the contacts concurrently;
// the reads are kept per scope's field context in the request's batches
// (WithRequestBatches), so they go with the request.

// contactWayReads are the codes read so far in one request, per scope.
type contactWayReads struct {
	mu     sync.Mutex
	scopes map[*graphql.FieldContext]*contactWayRead
}

type contactWayReadsKey struct{}

type contactWayRead struct {
	mu   sync.Mutex
	refs map[string]*model.ContactWayRef // nil: the state is no code's
}

// contactWayOf is obj's code, by the state its add carried (a deleted
// code's too); nil for none or a state of no code of the workspace.
func (r *Resolver) contactWayOf(ctx context.Context, obj *ent.WeComContact) (*model.ContactWayRef, error) {
	if obj.State == "" {
		return nil, nil
	}
	reads, _ := ctx.Value(contactWayReadsKey{}).(*contactWayReads)
	scope, states := contactWayScope(ctx)
	if scope == nil || reads == nil {
		refs, err := r.contactWays(ctx, []string{obj.State})
		return refs[obj.State], err
	}
	reads.mu.Lock()
	read := reads.scopes[scope]
	if read == nil {
		read = &contactWayRead{refs: map[string]*model.ContactWayRef{}}
		reads.scopes[scope] = read
	}
	reads.mu.Unlock()
	read.mu.Lock()
	defer read.mu.Unlock()
	if ref, ok := read.refs[obj.State]; ok {
		return ref, nil
	}
	// Not read yet: every state of the scope not read yet, obj's with them.
	var missing []string
	for _, s := range append(states, obj.State) {
		if _, ok := read.refs[s]; !ok && s != "" {
			read.refs[s] = nil
			missing = append(missing, s)
		}
	}
	refs, err := r.contactWays(ctx, missing)
	if err != nil {
		for _, s := range missing {
			delete(read.refs, s)
		}
		return nil, err
	}
	for s, ref := range refs {
		read.refs[s] = ref
	}
	return read.refs[obj.State], nil
}

// contactWays reads the workspace's codes of states, deleted ones too, in
// one statement.
func (r *Resolver) contactWays(ctx context.Context, states []string) (map[string]*model.ContactWayRef, error) {
	out := map[string]*model.ContactWayRef{}
	if len(states) == 0 {
		return out, nil
	}
	cws, err := r.db(ctx).ContactWay.Query().Where(contactway.StateIn(states...)).
		Select(contactway.FieldName, contactway.FieldState, contactway.FieldDeletedAt).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, cw := range cws {
		out[cw.State] = &model.ContactWayRef{ID: cw.ID, Name: cw.Name, Deleted: cw.DeletedAt != nil}
	}
	return out, nil
}

// contactWayScope is the field context of the scope a contactWay field of
// ctx is resolved in, and the states of the scope's contacts; nil when the
// contact is not in a list gqlgen resolved (then it is read alone).
func contactWayScope(ctx context.Context) (*graphql.FieldContext, []string) {
	var list *graphql.FieldContext
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		switch res := fc.Result.(type) {
		case []*ent.WeComContact:
			if list == nil {
				list = fc
			}
		case *ent.LeadConnection:
			if list == nil || res == nil {
				continue
			}
			var states []string
			for _, e := range res.Edges {
				if e == nil || e.Node == nil {
					continue
				}
				contacts, err := e.Node.NamedWecomContacts(list.Field.Alias)
				if err != nil {
					contacts, _ = e.Node.Edges.WecomContactsOrErr()
				}
				for _, c := range contacts {
					states = append(states, c.State)
				}
			}
			return fc, append(states, statesOf(list)...)
		}
	}
	if list == nil {
		return nil, nil
	}
	return list, statesOf(list)
}

func statesOf(list *graphql.FieldContext) []string {
	contacts, _ := list.Result.([]*ent.WeComContact)
	states := make([]string, len(contacts))
	for i, c := range contacts {
		states[i] = c.State
	}
	return states
}
