// Package text decides which free text Headroom accepts and shows it
// safely.
//
// Names and reasons that an operator types end up in terminals (ctl's
// tables), HTML (the dashboard), logs and the audit trail. A terminal
// obeys escape sequences: an ANSI CSI sequence can clear the screen,
// rewrite earlier lines or set the window title, and a bidirectional
// override (U+202E) shows "txt.exe" for "exe.txt". Check refuses such
// text where it enters, at the API; Escape renders anything already
// stored so that it reads as what it is.
package text

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error says where and why a string was refused.
type Error struct {
	// Offset is the byte offset of the offending rune or byte.
	Offset int
	// Rune is the offending rune; utf8.RuneError with Invalid set for a
	// byte that is not valid UTF-8.
	Rune rune
	// Invalid is true for a byte that starts no valid UTF-8 sequence;
	// Byte holds it.
	Invalid bool
	Byte    byte
}

func (e *Error) Error() string {
	if e.Invalid {
		return fmt.Sprintf("is not valid UTF-8 (byte %s at offset %d)", escapeByte(e.Byte), e.Offset)
	}
	return fmt.Sprintf("must not contain %s (%s) at offset %d", Escape(string(e.Rune)), kind(e.Rune), e.Offset)
}

// kind names the class of a refused rune for people.
func kind(r rune) string {
	switch {
	case r == 0:
		return "NUL"
	case r == 0x1b:
		return "the escape character, which starts terminal control sequences"
	case r < 0x20 || r == 0x7f:
		return "a control character"
	case r >= 0x80 && r <= 0x9f:
		return "a C1 control character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	}
	return "a bidirectional formatting character"
}

// Refused reports whether r is refused in free text: the C0 controls
// (U+0000-U+001F, tab and newline included: one field is one line), DEL,
// the C1 controls (U+0080-U+009F), the line and paragraph separators
// (U+2028, U+2029) and the bidirectional formatting characters of
// Unicode Standard Annex #9 (U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069), which reorder what a terminal or browser shows.
func Refused(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Check returns nil when s is valid UTF-8 without a refused rune (see
// Refused), else an *Error naming the first offending rune or byte and
// its byte offset.
func Check(s string) error {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return &Error{Offset: i, Rune: r, Invalid: true, Byte: s[i]}
		}
		if Refused(r) {
			return &Error{Offset: i, Rune: r}
		}
		i += n
	}
	return nil
}

// Escape returns s with every refused rune and every byte that is not
// valid UTF-8 written out visibly, so that printing it can neither move
// the cursor, change colours nor reorder the line: an invalid byte or an
// ASCII control as \xNN (ESC is \x1b, NUL \x00), any other refused rune
// as \uNNNN (U+202E is \u202e). Everything else, backslashes included,
// is kept as it is, so ordinary text reads unchanged; the result is for
// display and is not meant to be parsed back.
func Escape(s string) string {
	if Check(s) == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(escapeByte(s[i]))
		case r < 0x80 && Refused(r):
			b.WriteString(escapeByte(byte(r)))
		case Refused(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)))
			b.WriteString(h)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func escapeByte(c byte) string {
	const hex = "0123456789abcdef"
	return `\x` + string(hex[c>>4]) + string(hex[c&0xf])
}
