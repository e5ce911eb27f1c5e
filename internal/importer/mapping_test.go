package importer

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseMappingExample(t *testing.T) {
	t.Parallel()
	m := mustMapping(t, exampleMapping+"\n")
	want := &Mapping{
		Source:       "expo-2026",
		SourceDetail: "booth 12",
		Columns: []Column{
			{Header: "手机号", Target: TargetPhone, Line: 5},
			{Header: "姓名", Target: TargetName, Line: 6},
			{Header: "Email", Target: TargetEmail, Line: 7},
			{Header: "预算", Target: "attributes.budget", Line: 8},
			{Header: "城市", Target: "attributes.city", Line: 9},
			{Header: "标签", Target: TargetTags, Line: 10},
		},
		TagSeparator: "|",
		Delimiter:    ',',
		SkipEmpty:    true,
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v\nwant %+v", m, want)
	}
}

func TestParseMappingDefaultsAndScalars(t *testing.T) {
	t.Parallel()
	m := mustMapping(t, "columns:\n  \" 手机 \": phone\n  2024: attributes.y2024\n  a: tags\n  b: tags\n")
	if m.Delimiter != ',' || m.TagSeparator != "|" || !m.SkipEmpty || m.Source != "" {
		t.Errorf("defaults: %+v", m)
	}
	if got := m.Columns[0].Header; got != "手机" {
		t.Errorf("header not trimmed: %q", got)
	}
	if got := m.Columns[1].Header; got != "2024" {
		t.Errorf("numeric header: %q", got)
	}
	m = mustMapping(t, "columns: {a: phone}\ndelimiter: \"\\t\"\nskipEmpty: false\ntagSeparator: \", \"\n")
	if m.Delimiter != '\t' || m.SkipEmpty || m.TagSeparator != ", " {
		t.Errorf("settings: %+v", m)
	}
}

func TestParseMappingErrors(t *testing.T) {
	t.Parallel()
	long := "attributes.a" + strings.Repeat("b", 63)
	tests := []struct {
		name string
		src  string
		line int // 0: no line expected
		want string
	}{
		{"empty file", "", 0, "columns: the mapping file is empty"},
		{"comment only", "# nothing\n", 0, "the mapping file is empty"},
		{"not yaml", "columns: [\n", 0, "not valid YAML"},
		{"not a map", "- a\n- b\n", 1, "must be a map"},
		{"two documents", "columns: {a: phone}\n---\ncolumns: {b: name}\n", 3, "one YAML document"},
		{"no columns key", "source: x\n", 1, "columns: missing"},
		{"empty columns map", "source: x\ncolumns: {}\n", 2, "columns: the columns map is empty"},
		{"null columns", "columns:\n", 0, "the columns map is empty"},
		{"columns is a list", "columns:\n  - a\n", 2, "columns: must be a map"},
		{"unknown key", "colums:\n  a: phone\n", 1, "colums: unknown key"},
		{"unknown target", "columns:\n  a: phone\n  b: mobile\n", 3, `columns.b: unknown target "mobile"`},
		{"target twice", "columns:\n  a: phone\n  b: name\n  c: phone\n", 4, `columns.c: target "phone" is already fed by column "a" on line 2`},
		{"custom key uppercase", "columns:\n  预算: attributes.Budget\n", 2, `columns.预算: bad custom field key "Budget"`},
		{"custom key empty", "columns:\n  a: attributes.\n", 2, `bad custom field key ""`},
		{"custom key too long", "columns:\n  a: " + long + "\n", 2, "bad custom field key"},
		{"custom key dash", "columns:\n  a: attributes.my-key\n", 2, "bad custom field key"},
		{"custom field twice", "columns:\n  a: attributes.x\n  b: attributes.x\n", 3, `target "attributes.x" is already fed`},
		{"column without target", "columns:\n  a:\n", 2, "columns.a: needs a target"},
		{"target is a list", "columns:\n  a: [phone]\n", 2, "needs a target"},
		{"column mapped twice after trim", "columns:\n  a: phone\n  \"a \": name\n", 3, "columns.a: column mapped twice (first on line 2)"},
		{"empty column name", "columns:\n  \" \": phone\n", 2, "empty column name"},
		{"delimiter two runes", "columns: {a: phone}\ndelimiter: \";;\"\n", 2, `delimiter: must be exactly one character, got ";;"`},
		{"delimiter empty", "columns: {a: phone}\ndelimiter: \"\"\n", 2, "must be exactly one character"},
		{"delimiter quote", "columns: {a: phone}\ndelimiter: '\"'\n", 2, "cannot separate CSV fields"},
		{"delimiter newline", "columns: {a: phone}\ndelimiter: \"\\n\"\n", 2, "cannot separate CSV fields"},
		{"skipEmpty not bool", "columns: {a: phone}\nskipEmpty: yes\n", 2, "skipEmpty: must be true or false"},
		{"tagSeparator empty", "columns: {a: tags}\ntagSeparator: \"\"\n", 2, "tagSeparator: must not be empty"},
		{"source is a map", "columns: {a: phone}\nsource: {x: 1}\n", 2, "source: must be a single value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseMapping([]byte(tc.src))
			if err == nil {
				t.Fatalf("no error, got %+v", m)
			}
			if !errors.Is(err, ErrMapping) {
				t.Errorf("error does not match ErrMapping: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			if tc.line > 0 && !strings.Contains(msg, fmt.Sprintf("line %d: ", tc.line)) {
				t.Errorf("error %q does not name line %d", msg, tc.line)
			}
			var me *MappingError
			if !errors.As(err, &me) {
				t.Errorf("error is not a *MappingError: %T", err)
			}
		})
	}
}

func TestParseMappingReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := ParseMapping([]byte("columns:\n  a: mobile\n  b: attributes.B\nfoo: 1\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"line 2: columns.a", "line 3: columns.b", "line 4: foo"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %q", want, err)
		}
	}
}

func TestMappingValidateInCode(t *testing.T) {
	t.Parallel()
	if err := (&Mapping{}).Validate(); !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), "no columns") {
		t.Errorf("empty mapping: %v", err)
	}
	m := &Mapping{Columns: []Column{{Header: "a", Target: "phone"}, {Header: "b", Target: "phone"}}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "already fed") {
		t.Errorf("target twice: %v", err)
	}
	m = &Mapping{Columns: []Column{{Header: "a", Target: "phone"}}}
	if err := m.Validate(); err != nil {
		t.Errorf("valid mapping: %v", err)
	}
}

func TestMappingYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	srcs := []string{
		exampleMapping,
		"columns:\n  \"a\\\"b\": phone\n  \"tab\\there\": tags\n  \"\\u00a0nbsp\": tags\n  \"emoji 😀\": name\ndelimiter: \"\\t\"\ntagSeparator: \" ; \"\nsource: \"x: y\"\nskipEmpty: false\n",
	}
	for _, src := range srcs {
		m := mustMapping(t, src)
		again := mustMapping(t, string(m.YAML()))
		assertSameMapping(t, m, again)
		if m.fingerprint() != again.fingerprint() {
			t.Errorf("fingerprint changed on round trip")
		}
	}
}

// assertSameMapping compares mappings, ignoring the lines columns came from.
func assertSameMapping(t testing.TB, a, b *Mapping) {
	t.Helper()
	strip := func(m *Mapping) Mapping {
		c := *m
		c.Columns = nil
		for _, col := range m.Columns {
			c.Columns = append(c.Columns, Column{Header: col.Header, Target: col.Target})
		}
		return c
	}
	if sa, sb := strip(a), strip(b); !reflect.DeepEqual(sa, sb) {
		t.Fatalf("mappings differ:\n%+v\n%+v\nYAML:\n%s", sa, sb, a.YAML())
	}
}

func FuzzMapping(f *testing.F) {
	for _, seed := range []string{
		exampleMapping,
		"columns: {a: phone, b: tags, c: tags}\n",
		"columns:\n  \"x\\u0000y\": attributes.k_1\ndelimiter: \"\\t\"\n",
		"columns:\n  a: phone\n  a: name\n",
		"columns: [\n",
		"a: &x phone\nb: *x\ncolumns: {c: *x}\n",
		"columns:\n  ? a\n  : phone\n",
		"<<: {columns: {a: phone}}\n",
		"columns: !!map {a: phone}\n",
		"--- \n...\n",
		"columns:\n  |\n    x\n  : phone\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMapping(data)
		if err != nil {
			if !errors.Is(err, ErrMapping) {
				t.Fatalf("error does not match ErrMapping: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parsed mapping does not validate: %v", err)
		}
		again, err := ParseMapping(m.YAML())
		if err != nil {
			t.Fatalf("YAML() of a valid mapping does not parse: %v\n%s", err, m.YAML())
		}
		assertSameMapping(t, m, again)
	})
}
