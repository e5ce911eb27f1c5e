package broadcast

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fields"
)

// Templates are Go text/template in a safe subset: lead fields
// ({{.name}}, {{.company}}, {{.source}}, {{.score}}, {{.tier}}) and custom
// fields ({{.attributes.city}}), with if/else/with/range and the builtin
// comparison and printing functions. Named templates ({{template}},
// {{define}}, {{block}}) are refused, so a template cannot recurse, and a
// rendered message is at most maxMessage bytes. Unknown fields are reported
// at create time with their line and column.

const maxMessage = 64 << 10

// leadKeys are the lead fields a template may name.
var leadKeys = []string{"id", "name", "company", "source", "sourceDetail", "score", "tier", "phone", "email", "attributes"}

// Template is a parsed, checked message template.
type Template struct{ t *template.Template }

// ParseTemplate parses text and checks every field it names against the
// lead fields and sch's custom fields. field is the input path for errors.
func ParseTemplate(field, text string, sch *fields.Schema) (*Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, apperr.Input(field, "the template is empty")
	}
	if len(text) > maxMessage {
		return nil, apperr.Input(field, "the template is longer than %d bytes", maxMessage)
	}
	t, err := template.New("template").Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, apperr.Input(field, "%s", strings.TrimPrefix(err.Error(), "template: "))
	}
	var problem error
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		if problem != nil || n == nil {
			return
		}
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.TemplateNode:
			problem = at(t, x, "named templates are not allowed")
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.WithNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.FieldNode:
			problem = checkField(t, x, x.Ident, sch)
		case *parse.ChainNode:
			walk(x.Node)
		}
	}
	walk(t.Tree.Root)
	if len(t.Templates()) > 1 {
		return nil, apperr.Input(field, "named templates ({{define}}, {{block}}) are not allowed")
	}
	if problem != nil {
		return nil, apperr.Input(field, "%s", problem.Error())
	}
	return &Template{t: t}, nil
}

func at(t *template.Template, n parse.Node, format string, args ...any) error {
	loc, _ := t.Tree.ErrorContext(n)
	return fmt.Errorf("%s: %s", strings.TrimPrefix(loc, "template:"), fmt.Sprintf(format, args...))
}

func checkField(t *template.Template, n parse.Node, ident []string, sch *fields.Schema) error {
	if len(ident) == 0 {
		return nil
	}
	known := false
	for _, k := range leadKeys {
		known = known || k == ident[0]
	}
	if !known {
		return at(t, n, "unknown field .%s (lead fields: %s; custom fields: .attributes.<key>)", ident[0], strings.Join(leadKeys, ", "))
	}
	if ident[0] == "attributes" && len(ident) > 1 {
		if d, ok := sch.Lookup(ident[1]); !ok || d.Archived {
			return at(t, n, "unknown custom field .attributes.%s", ident[1])
		}
	}
	return nil
}

// errTooLong stops rendering past maxMessage.
var errTooLong = errors.New("the message is longer than 64 KiB")

type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > maxMessage {
		return 0, errTooLong
	}
	return c.Buffer.Write(p)
}

// Render fills the template with a lead's data (see data).
func (t *Template) Render(data map[string]any) (string, error) {
	var b capped
	if err := t.t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// RenderLead fills the template with lead l's data, custom fields as sch
// defines them (the WeCom welcome message uses it).
func (t *Template) RenderLead(l *ent.Lead, sch *fields.Schema) (string, error) {
	return t.Render(data(l, sch))
}

// data is what a template sees of a lead: custom fields the workspace
// defines but the lead lacks read as empty text, never "<no value>".
func data(l *ent.Lead, sch *fields.Schema) map[string]any {
	attrs := map[string]any{}
	for _, d := range sch.Definitions() {
		if d.Archived {
			continue
		}
		if v, ok := l.Attributes[d.Key]; ok && v != nil {
			attrs[d.Key] = v
		} else {
			attrs[d.Key] = ""
		}
	}
	tier := ""
	if l.Tier != nil {
		tier = l.Tier.String()
	}
	return map[string]any{
		"id": l.ID.String(), "name": l.Name, "company": l.Company, "source": l.Source, "sourceDetail": l.SourceDetail,
		"score": l.Score, "tier": tier, "phone": deref(l.Phone), "email": deref(l.Email), "attributes": attrs,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
