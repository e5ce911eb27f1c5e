package graph_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/scrmhq/scrm/graph/generated"
)

// contractPath is the client operations contract. graph/testdata holds a copy
// so the repository tests on its own; when the shared original sits beside the
// repository (as in CI), the copy must equal it.
const contractPath = "testdata/operations.graphql"

// pending lists the contract operations whose schema has not landed yet, with
// the issue that brings them. It may only shrink: an operation that validates
// must leave this list, and every other operation must validate.
var pending = map[string]string{}

func loadContract(t *testing.T) *ast.QueryDocument {
	t.Helper()
	b, err := os.ReadFile(contractPath)
	if err != nil {
		t.Fatal(err)
	}
	if shared, err := os.ReadFile(filepath.Join("..", "..", "shared", "api", "operations.graphql")); err == nil && !bytes.Equal(shared, b) {
		t.Fatalf("%s differs from ../shared/api/operations.graphql: copy the shared contract in", contractPath)
	}
	doc, perr := parser.ParseQuery(&ast.Source{Name: contractPath, Input: string(b)})
	if perr != nil {
		t.Fatal(perr)
	}
	return doc
}

// operationDoc returns a document with one operation and the fragments it uses.
func operationDoc(doc *ast.QueryDocument, op *ast.OperationDefinition) *ast.QueryDocument {
	out := &ast.QueryDocument{Operations: ast.OperationList{op}}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, s := range set {
			switch s := s.(type) {
			case *ast.Field:
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
					seen[s.Name] = true
					out.Fragments = append(out.Fragments, f)
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(op.SelectionSet)
	return out
}

// contractStatus validates every operation against the served schema and
// returns the names of those that validate, and the errors of the others.
func contractStatus(t *testing.T) (valid []string, invalid map[string][]string) {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	doc := loadContract(t)
	invalid = map[string][]string{}
	for _, op := range doc.Operations {
		errs := validator.Validate(schema, operationDoc(doc, op))
		if len(errs) == 0 {
			valid = append(valid, op.Name)
			continue
		}
		for _, e := range errs {
			invalid[op.Name] = append(invalid[op.Name], e.Message)
		}
	}
	sort.Strings(valid)
	return valid, invalid
}

func TestContractOperationsValidate(t *testing.T) {
	valid, invalid := contractStatus(t)
	for name, errs := range invalid {
		if _, ok := pending[name]; !ok {
			t.Errorf("%s does not validate against the served schema: %v", name, errs)
		}
	}
	for _, name := range valid {
		if issue, ok := pending[name]; ok {
			t.Errorf("%s validates now: remove it from the pending list (%s)", name, issue)
		}
	}
	for name := range pending {
		if _, ok := invalid[name]; !ok && !slices.Contains(valid, name) {
			t.Errorf("pending lists %s, which is not in the contract", name)
		}
	}
	t.Logf("%d contract operations validate, %d pending", len(valid), len(pending))
}
