// Command gen generates the GraphQL server code (make generate): gqlgen as
// its own command would, with one plugin of scrm's, sequential.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

// sequentialObjects are the types of a page of leads. gqlgen runs every
// field whose Go method takes a context (ent's edges, the masking and typed
// field resolvers) in a goroutine of its own, per lead: a page of 100 leads
// started about 700 goroutines whose stacks grew and were copied, a fifth
// of the server's CPU for the list (docs/benchmarks.md, "Read path vs
// PostGraphile"). A page's edges are loaded in its own statement
// (ent.InlineEdgeLoads), so these fields only read what is already there
// and gain nothing from running concurrently; a field that does query (a
// lead's follow-ups on its page) now waits for the one before it.
var sequentialObjects = []string{"LeadConnection", "LeadEdge", "Lead", "User", "Stage", "Tag", "PageInfo"}

// sequential resolves the fields of its objects in the goroutine of the
// object itself, as gqlgen does for mutations.
type sequential struct{ objects []string }

func (sequential) Name() string { return "sequential" }

func (p sequential) GenerateCode(data *codegen.Data) error {
	for _, name := range p.objects {
		o := data.Objects.ByName(name)
		if o == nil {
			return fmt.Errorf("sequential: no object %s in the schema", name)
		}
		o.DisableConcurrency = true
	}
	return nil
}

func main() {
	cfg, err := config.LoadConfig("gqlgen.yml")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load gqlgen.yml:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequential{objects: sequentialObjects})); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}
