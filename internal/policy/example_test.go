package policy_test

import (
	"fmt"

	"github.com/scrmhq/scrm/internal/policy"
)

// A rep sees its own leads and the unowned leads of the pools open to it,
// but changes only its own: the pool scope is for claiming.
func ExampleWriteScopes() {
	fmt.Println(policy.WriteScopes([]string{policy.ScopeOwn, policy.ScopePool}))
	fmt.Println(policy.WriteScopes([]string{policy.ScopeTeam, policy.ScopeTerritory, policy.ScopePool, policy.ScopeOwn}))
	fmt.Println(policy.WriteScopes([]string{policy.ScopePartner}))
	// Output:
	// [own]
	// [team territory own]
	// [partner]
}
