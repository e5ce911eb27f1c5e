package policy

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkAllowed measures one check for a user with two roles in a
// workspace that has rows of its own, among many workspaces that have rows:
// the cost must not grow with the number of workspaces.
func BenchmarkAllowed(b *testing.B) {
	ctx := context.Background()
	store := NewMemoryStore()
	for i := 0; i < 2000; i++ {
		ws := fmt.Sprintf("ws-%d", i)
		store.Apply([]Change{
			add(RoleRep, ws, ResLeadContact, ActRead, Deny),
			add(RolePartner, ws, ResReport, ActRead, Allow),
		})
	}
	e, err := New(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	roles := []string{RoleRep, RoleAnalyst}
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Allowed("ws-7", roles, ResLead, ActWrite); err != nil {
			b.Fatal(err)
		}
	}
}
