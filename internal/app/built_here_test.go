package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/scrmhq/scrm/internal/app"
)

const module = "github.com/scrmhq/scrm"

// serviceTypes are the types of app.Services that live in the module's
// internal packages: import path → type names.
func serviceTypes() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	t := reflect.TypeOf(app.Services{})
	for i := range t.NumField() {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() != reflect.Struct || !strings.HasPrefix(ft.PkgPath(), module+"/internal/") {
			continue
		}
		if out[ft.PkgPath()] == nil {
			out[ft.PkgPath()] = map[string]bool{}
		}
		out[ft.PkgPath()][ft.Name()] = true
	}
	return out
}

// constructors are the functions of a package (its non-test files) that
// return one of types, by name.
func constructors(t *testing.T, dir string, types map[string]bool) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range parseDir(t, dir) {
		for _, d := range f.file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Type.Results == nil {
				continue
			}
			for _, r := range fn.Type.Results.List {
				e := r.Type
				if s, ok := e.(*ast.StarExpr); ok {
					e = s.X
				}
				if id, ok := e.(*ast.Ident); ok && types[id.Name] {
					out[fn.Name.Name] = true
				}
			}
		}
	}
	return out
}

type parsed struct {
	path string
	file *ast.File
}

func parseDir(t *testing.T, dir string) []parsed {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []parsed
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parsed{p, f})
	}
	return out
}

// violations reports, in the module's non-test Go files under root, every
// composite literal of a service type, new of it, and every call of its constructors
// outside internal/app and the type's own package.
func violations(t *testing.T, root string) []string {
	t.Helper()
	types := serviceTypes()
	if len(types) < 5 {
		t.Fatalf("found only %d service packages in app.Services", len(types))
	}
	ctors := map[string]map[string]bool{}
	for pkg, names := range types {
		ctors[pkg] = constructors(t, filepath.Join(root, strings.TrimPrefix(pkg, module+"/")), names)
	}
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch rel {
			case "ent", "frontend", "internal/app", ".git":
				return filepath.SkipDir
			}
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		own := module + "/" + filepath.ToSlash(filepath.Dir(rel))
		local := map[string]string{} // local name → import path of a service package
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if types[path] == nil || path == own {
				continue
			}
			name := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			local[name] = path
		}
		if len(local) == 0 {
			return nil
		}
		// sel returns the import path and name of pkg.Name when pkg is a service package.
		sel := func(e ast.Expr) (string, string, bool) {
			s, ok := e.(*ast.SelectorExpr)
			if !ok {
				return "", "", false
			}
			id, ok := s.X.(*ast.Ident)
			if !ok || local[id.Name] == "" {
				return "", "", false
			}
			return local[id.Name], s.Sel.Name, true
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if pkg, name, ok := sel(n.Type); ok && types[pkg][name] {
					out = append(out, fset.Position(n.Pos()).String()+": "+filepath.Base(pkg)+"."+name+"{...}")
				}
			case *ast.CallExpr:
				if pkg, name, ok := sel(n.Fun); ok && ctors[pkg][name] {
					out = append(out, fset.Position(n.Pos()).String()+": "+filepath.Base(pkg)+"."+name+"(...)")
				}
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "new" && len(n.Args) == 1 {
					if pkg, name, ok := sel(n.Args[0]); ok && types[pkg][name] {
						out = append(out, fset.Position(n.Pos()).String()+": new("+filepath.Base(pkg)+"."+name+")")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestServicesBuiltOnlyHere: no non-test file of the module builds a
// service of app.Services (a composite literal of its type, new(T) or a
// call of its constructor) outside internal/app and the service's own package; the api,
// the worker and the CLI share the set app.New builds.
func TestServicesBuiltOnlyHere(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations(t, root) {
		rel := strings.TrimPrefix(v, root+string(filepath.Separator))
		t.Errorf("%s: build services with app.New and use the set it returns", rel)
	}
}

// TestServicesBuiltOnlyHereCatches: the check finds a planted literal and a
// planted constructor call (a check that finds nothing proves nothing).
func TestServicesBuiltOnlyHereCatches(t *testing.T) {
	root := t.TempDir()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// The service packages' declarations, for the constructor lookup.
	for pkg := range serviceTypes() {
		rel := strings.TrimPrefix(pkg, module+"/")
		if err := os.MkdirAll(filepath.Join(root, rel), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range parseDir(t, filepath.Join(src, rel)) {
			b, err := os.ReadFile(f.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, rel, filepath.Base(f.path)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	plant := `package jobs

import (
	segsvc "github.com/scrmhq/scrm/internal/segment"
	"github.com/scrmhq/scrm/internal/fielddefs"
	"github.com/scrmhq/scrm/internal/scoring"
)

func build() {
	_ = &segsvc.Service{Fields: fielddefs.New(nil, nil)}
	_ = scoring.Service{}
	_ = new(scoring.Service)
	_ = segsvc.Rule{}
	_ = new(segsvc.Rule)
}
`
	if err := os.MkdirAll(filepath.Join(root, "jobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "jobs", "plant.go"), []byte(plant), 0o644); err != nil {
		t.Fatal(err)
	}
	got := violations(t, root)
	var short []string
	for _, v := range got {
		short = append(short, v[strings.LastIndex(v, ": ")+2:])
	}
	want := "[fielddefs.New(...) new(scoring.Service) scoring.Service{...} segment.Service{...}]"
	sort.Strings(short)
	if s := "[" + strings.Join(short, " ") + "]"; s != want {
		t.Fatalf("violations in the planted file = %s; want %s", s, want)
	}
}
