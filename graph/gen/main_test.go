package main

import (
	"os"
	"strings"
	"testing"
)

// TestGeneratedObjectsAreSequential: the committed server code was generated
// with the sequential plugin (make generate), not by gqlgen's own command,
// which would run the fields of every lead of a page in goroutines again.
func TestGeneratedObjectsAreSequential(t *testing.T) {
	src, err := os.ReadFile("../generated/generated.go")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	for _, name := range sequentialObjects {
		start := strings.Index(code, "func (ec *executionContext) _"+name+"(ctx context.Context, sel ast.SelectionSet")
		if start < 0 {
			t.Fatalf("no marshaller of %s in the generated code", name)
		}
		body := code[start:]
		if end := strings.Index(body[1:], "\nfunc "); end > 0 {
			body = body[:end]
		}
		if strings.Contains(body, "ResolveConcurrently") {
			t.Errorf("%s's fields are resolved concurrently: regenerate with make generate (go run ./graph/gen)", name)
		}
	}
	// The check can tell: objects left to gqlgen still resolve concurrently.
	if !strings.Contains(code, "ResolveConcurrently") {
		t.Fatal("no object resolves concurrently at all: the check reads the wrong code")
	}
}
