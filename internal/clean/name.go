package clean

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name tidies a person's or company's name: it drops invisible characters
// (controls, zero-width and format characters, blank fillers) and bytes that
// are not UTF-8, turns every kind of space (including the full-width 　) into
// one ASCII space, collapses runs of spaces and trims both ends.
//
// It does not change letters: no case change, no full-width folding and no
// Unicode normalisation (NFC would need golang.org/x/text), because a name is
// shown back as typed and 张三 and ＡＢＣ公司 are what people wrote.
func Name(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	pendingSpace := false
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			// Invalid byte: drop it rather than store U+FFFD in a name.
		case unicode.IsSpace(r): // includes the full-width space U+3000
			pendingSpace = b.Len() > 0
		case isInvisible(r):
			// Dropped without becoming a space: a zero-width space inside a
			// word is usually pasted noise, not a word break.
		default:
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
