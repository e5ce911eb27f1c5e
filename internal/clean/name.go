package clean

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Name tidies a person's or company's name: it drops invisible characters
// (controls, zero-width and format characters, blank fillers) and bytes that
// are not UTF-8, turns every kind of space (including the full-width 　) into
// one ASCII space, collapses runs of spaces and trims both ends.
//
// Emoji sequences are kept byte-exact: the zero-width joiner inside 👨‍👩‍👧
// or 🏳️‍🌈 and the tag characters of a subdivision flag are format
// characters too, but part of one visible character (a grapheme cluster,
// found with rivo/uniseg), so only those stay (see kept). Variation
// selectors, keycaps and regional-indicator flags are not format characters
// and stay anyway.
//
// It does not change letters: no case change, no full-width folding and no
// Unicode normalisation (NFC would need golang.org/x/text), because a name is
// shown back as typed and 张三 and ＡＢＣ公司 are what people wrote.
func Name(raw string) string {
	keep := kept(raw)
	var b strings.Builder
	b.Grow(len(raw))
	pendingSpace := false
	for i := 0; i < len(raw); {
		at := i
		r, size := utf8.DecodeRuneInString(raw[i:])
		i += size
		for len(keep) > 0 && keep[0] < at {
			keep = keep[1:]
		}
		switch {
		case r == utf8.RuneError && size == 1:
			// Invalid byte: drop it rather than store U+FFFD in a name.
		case unicode.IsSpace(r): // includes the full-width space U+3000
			pendingSpace = b.Len() > 0
		case isInvisible(r) && (len(keep) == 0 || keep[0] != at):
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

const (
	zwj       = '\u200d'
	blackFlag = '\U0001F3F4'
)

// kept returns, in order, the byte offsets of the format characters of raw
// that belong to a grapheme cluster they hold together: a zero-width joiner
// followed, inside its cluster, by a character that is neither a mark nor a
// format character (the joiners of emoji ZWJ sequences, which Unicode joins
// into one cluster only between pictographs), and the tag characters after
// a black flag inside its cluster (🏴 + tags + cancel tag: a subdivision
// flag). A joiner at the end of a cluster joins nothing and is dropped.
func kept(raw string) []int {
	// Cheap test first: most names have neither a joiner nor a character of
	// the tag block (U+E0000..U+E0FFF start with these bytes).
	if !strings.ContainsRune(raw, zwj) && !strings.Contains(raw, "\xf3\xa0") {
		return nil
	}
	var out []int
	state, off := -1, 0
	for rest := raw; rest != ""; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		flag := false
		for i, r := range cluster {
			switch {
			case r == blackFlag:
				flag = true
			case r == zwj:
				next, size := utf8.DecodeRuneInString(cluster[i+utf8.RuneLen(zwj):])
				if size > 0 && next != utf8.RuneError && !unicode.In(next, unicode.M, unicode.Cf) {
					out = append(out, off+i)
				}
			case flag && r >= 0xE0020 && r <= 0xE007F:
				out = append(out, off+i)
			}
		}
		off += len(cluster)
	}
	return out
}
