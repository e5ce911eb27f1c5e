package fields_test

import (
	"testing"

	"github.com/scrmhq/scrm/internal/fields"
)

func TestEmail(t *testing.T) {
	t.Parallel()
	runCoerce(t, fields.TypeEmail, []coerceCase{
		{name: "plain", raw: "zhang@example.com", want: "zhang@example.com"},
		{name: "lowercased and trimmed", raw: "  Zhang.Wei@Example.COM ", want: "zhang.wei@example.com"},
		{name: "plus address", raw: "a+tag@example.cn", want: "a+tag@example.cn"},
		{name: "blank", raw: "", want: nil},
		{name: "display name", raw: "Zhang <zhang@example.com>", err: "bare address"},
		{name: "no at", raw: "zhang.example.com", err: "not a valid email"},
		{name: "no domain dot", raw: "zhang@localhost", err: "not a valid email"},
		{name: "two addresses", raw: "a@x.com, b@x.com", err: "not a valid email"},
		{name: "number", raw: 5.0, err: "must be text"},
		{name: "pattern", def: fields.Definition{Pattern: `.*@corp\.com`}, raw: "a@gmail.com", err: "format"},
		{name: "pattern on lowercased", def: fields.Definition{Pattern: `.*@corp\.com`}, raw: "A@CORP.COM", want: "a@corp.com"},
	})
	runSettings(t, fields.TypeEmail, []settingsCase{
		{name: "pattern", def: fields.Definition{Pattern: `.*@corp\.com`}},
		{name: "min", def: fields.Definition{Min: ptr(3)}, setting: "min"},
		{name: "options", def: fields.Definition{Options: colors}, setting: "options"},
	})
}
