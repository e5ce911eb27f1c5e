package importer

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Top-level keys of a mapping file.
const (
	keySource       = "source"
	keySourceDetail = "sourceDetail"
	keyColumns      = "columns"
	keyTagSeparator = "tagSeparator"
	keyDelimiter    = "delimiter"
	keySkipEmpty    = "skipEmpty"
)

// ParseMapping reads a mapping file (see the package documentation) and
// validates it. The error joins one *MappingError per problem, each naming
// its line and key, and matches ErrMapping.
func ParseMapping(data []byte) (m *Mapping, err error) {
	// The YAML parser is third-party code fed with operator input; a panic
	// in it must surface as a bad mapping, not crash the command.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &MappingError{Msg: fmt.Sprintf("the YAML parser failed: %v", r)}
		}
	}()
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &MappingError{Msg: "not valid YAML: " + err.Error()}
	}
	body, err := documentBody(file)
	if err != nil {
		return nil, err
	}
	p := mappingParser{m: Mapping{TagSeparator: DefaultTagSeparator, Delimiter: DefaultDelimiter, SkipEmpty: true}}
	p.parseTop(body)
	p.errs = append(p.errs, checkColumns(p.m.Columns)...)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return &p.m, nil
}

// documentBody returns the body of the only document of file.
func documentBody(file *ast.File) (ast.Node, error) {
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch len(bodies) {
	case 0:
		return nil, &MappingError{Key: keyColumns, Msg: "the mapping file is empty; it needs a columns map"}
	case 1:
		return bodies[0], nil
	default:
		return nil, &MappingError{Line: lineOf(bodies[1]), Msg: "the mapping file must hold one YAML document"}
	}
}

// mappingParser walks the YAML tree, collecting every error rather than
// stopping at the first, so one run of the command shows them all.
type mappingParser struct {
	m    Mapping
	errs []error
}

// fail records a problem at node.
func (p *mappingParser) fail(node ast.Node, key, format string, args ...any) {
	p.errs = append(p.errs, &MappingError{Line: lineOf(node), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// parseTop reads the top-level map.
func (p *mappingParser) parseTop(body ast.Node) {
	entries, ok := mapEntries(body)
	if !ok {
		p.fail(body, "", "the mapping file must be a map with a %s key", keyColumns)
		return
	}
	sawColumns := false
	for _, kv := range entries {
		key, ok := scalarText(kv.Key)
		if !ok {
			p.fail(kv.Key, "", "keys must be plain names")
			continue
		}
		switch key {
		case keySource:
			p.m.Source = strings.TrimSpace(p.stringValue(kv, key))
		case keySourceDetail:
			p.m.SourceDetail = strings.TrimSpace(p.stringValue(kv, key))
		case keyColumns:
			sawColumns = true
			p.parseColumns(kv.Value)
		case keyTagSeparator:
			p.parseTagSeparator(kv)
		case keyDelimiter:
			p.parseDelimiter(kv)
		case keySkipEmpty:
			p.parseSkipEmpty(kv)
		default:
			p.fail(kv.Key, key, "unknown key (want %s, %s, %s, %s, %s or %s)",
				keySource, keySourceDetail, keyColumns, keyTagSeparator, keyDelimiter, keySkipEmpty)
		}
	}
	if !sawColumns {
		p.fail(body, keyColumns, "missing: map CSV columns to lead fields")
	}
}

// parseColumns reads "CSV column: target" pairs in file order.
func (p *mappingParser) parseColumns(node ast.Node) {
	if isNull(node) {
		p.fail(node, keyColumns, "the columns map is empty")
		return
	}
	entries, ok := mapEntries(node)
	if !ok {
		p.fail(node, keyColumns, "must be a map of CSV column to lead field")
		return
	}
	if len(entries) == 0 {
		p.fail(node, keyColumns, "the columns map is empty")
		return
	}
	for _, kv := range entries {
		name, ok := scalarText(kv.Key)
		if !ok {
			p.fail(kv.Key, keyColumns, "column names must be plain strings")
			continue
		}
		name = strings.TrimSpace(name)
		key := keyColumns + "." + name
		target, ok := scalarText(kv.Value)
		if !ok || isNull(kv.Value) {
			p.fail(kv.Key, key, "needs a target such as phone or attributes.<key>")
			continue
		}
		p.m.Columns = append(p.m.Columns, Column{Header: name, Target: Target(strings.TrimSpace(target)), Line: lineOf(kv.Key)})
	}
}

// parseTagSeparator reads a non-empty separator.
func (p *mappingParser) parseTagSeparator(kv *ast.MappingValueNode) {
	sep := p.stringValue(kv, keyTagSeparator)
	if sep == "" {
		p.fail(kv.Key, keyTagSeparator, "must not be empty")
		return
	}
	p.m.TagSeparator = sep
}

// parseDelimiter reads a one-rune field separator.
func (p *mappingParser) parseDelimiter(kv *ast.MappingValueNode) {
	s := p.stringValue(kv, keyDelimiter)
	if utf8.RuneCountInString(s) != 1 {
		p.fail(kv.Key, keyDelimiter, "must be exactly one character, got %q", s)
		return
	}
	r, _ := utf8.DecodeRuneInString(s)
	if err := checkDelimiter(r); err != nil {
		p.fail(kv.Key, keyDelimiter, "%v", err)
		return
	}
	p.m.Delimiter = r
}

// parseSkipEmpty reads a boolean.
func (p *mappingParser) parseSkipEmpty(kv *ast.MappingValueNode) {
	b, ok := kv.Value.(*ast.BoolNode)
	if !ok {
		p.fail(kv.Key, keySkipEmpty, "must be true or false")
		return
	}
	p.m.SkipEmpty = b.Value
}

// stringValue returns a scalar value as text, recording an error (and
// returning "") for maps, lists and other non-scalars.
func (p *mappingParser) stringValue(kv *ast.MappingValueNode, key string) string {
	if isNull(kv.Value) {
		return ""
	}
	s, ok := scalarText(kv.Value)
	if !ok {
		p.fail(kv.Key, key, "must be a single value")
		return ""
	}
	return s
}

// mapEntries returns the key/value pairs of a map node.
func mapEntries(node ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := node.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	default:
		return nil, false
	}
}

// scalarText returns the text of a scalar as written (so a column named
// 2024 stays "2024", not 2024.0); false for anything else.
func scalarText(node ast.Node) (string, bool) {
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// isNull reports a missing value (`key:` with nothing after it).
func isNull(node ast.Node) bool {
	if node == nil {
		return true
	}
	_, ok := node.(*ast.NullNode)
	return ok
}

// lineOf returns the 1-based line of node, or 0.
func lineOf(node ast.Node) int {
	if node == nil {
		return 0
	}
	tk := node.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}
