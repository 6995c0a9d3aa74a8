package api

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxJSONDepth bounds how deeply a request body may nest objects and
// arrays. No request of the contract nests deeper than 4; the bound keeps
// the scanner's recursion, and so its stack, small whatever is posted.
const maxJSONDepth = 64

// jsonScan is what scanJSON learned of a body before it is decoded.
type jsonScan struct {
	// syntax is true when the body is not valid JSON; encoding/json then
	// says where and why.
	syntax bool
	// prob is a body that is valid JSON but breaks a rule of the
	// contract: too deep, a duplicate key, a lone surrogate escape.
	prob *problem
	// top is the kind of the top-level value: "object", "array",
	// "string", "number", "boolean" or "null".
	top string
	// keys are the top-level object's keys in document order.
	keys []string
	// badUTF8 are the paths of the string values that hold bytes that
	// are not UTF-8; encoding/json would silently replace them.
	badUTF8 []string
}

// scanJSON checks what encoding/json lets through: duplicate keys (it
// keeps the last, so that two readers of one body can disagree on what it
// says), lone UTF-16 surrogate escapes (it replaces them with U+FFFD),
// invalid UTF-8 in strings (replaced likewise) and nesting deeper than
// maxJSONDepth. Paths are joined to prefix as problems name fields
// (boost.groups[1]). The scanner stops at the first syntax error it
// meets and leaves describing it to encoding/json; it does not check
// numbers and literals closely, so a caller also asks json.Valid.
func scanJSON(data []byte, prefix string) jsonScan {
	s := &scanner{data: data}
	s.ws()
	top := s.kind()
	s.value(prefix, 0, true)
	if s.res.syntax || s.res.prob != nil {
		return s.res
	}
	s.ws()
	if s.pos != len(s.data) {
		s.res.syntax = true
		return s.res
	}
	s.res.top = top
	return s.res
}

type scanner struct {
	data []byte
	pos  int
	res  jsonScan
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// kind names the JSON type of the value at pos.
func (s *scanner) kind() string {
	if s.pos >= len(s.data) {
		return ""
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	}
	return "number"
}

func (s *scanner) stop() bool { return s.res.syntax || s.res.prob != nil }

// value scans one value at depth; path names it. top records the
// top-level object's keys.
func (s *scanner) value(path string, depth int, top bool) {
	s.ws()
	if s.pos >= len(s.data) {
		s.res.syntax = true
		return
	}
	switch s.data[s.pos] {
	case '{':
		s.object(path, depth+1, top)
	case '[':
		s.array(path, depth+1)
	case '"':
		if _, bad := s.str(path, false); bad {
			s.res.badUTF8 = append(s.res.badUTF8, path)
		}
	default:
		start := s.pos
		for s.pos < len(s.data) {
			c := s.data[s.pos]
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E' {
				s.pos++
				continue
			}
			break
		}
		if s.pos == start {
			s.res.syntax = true
		}
	}
}

func (s *scanner) tooDeep(depth int) bool {
	if depth > maxJSONDepth {
		s.res.prob = malformed("the JSON value is nested deeper than %d levels", maxJSONDepth)
		return true
	}
	return false
}

func (s *scanner) object(path string, depth int, top bool) {
	if s.tooDeep(depth) {
		return
	}
	s.pos++ // '{'
	seen := map[string]bool{}
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return
	}
	for {
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			s.res.syntax = true
			return
		}
		at := s.pos
		key, bad := s.str(path, true)
		if s.stop() {
			return
		}
		if bad {
			s.res.prob = malformed("the key at byte %d is not valid UTF-8", at)
			return
		}
		field := joinField(path, key)
		if key == "" {
			// An empty key still needs a name in the problem.
			field = joinField(path, `""`)
		}
		if seen[key] {
			s.res.prob = malformed("duplicate key %q: each key may appear once", field)
			s.res.prob.field = field
			s.res.prob.errs = []fieldError{{Field: field, Detail: "duplicate key: each key may appear once"}}
			return
		}
		seen[key] = true
		if top {
			s.res.keys = append(s.res.keys, key)
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			s.res.syntax = true
			return
		}
		s.pos++
		s.value(field, depth, false)
		if s.stop() {
			return
		}
		if !s.more('}') {
			return
		}
	}
}

func (s *scanner) array(path string, depth int) {
	if s.tooDeep(depth) {
		return
	}
	s.pos++ // '['
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return
	}
	for i := 0; ; i++ {
		s.value(fmt.Sprintf("%s[%d]", path, i), depth, false)
		if s.stop() {
			return
		}
		if !s.more(']') {
			return
		}
	}
}

// str scans a string at pos and, when keep is set (for keys), returns it
// decoded; bad reports bytes that are not UTF-8. A lone surrogate escape is a
// problem: RFC 8259 section 8.2 leaves its meaning to each parser, and
// encoding/json turns it into U+FFFD without a word.
// more reads what follows a member or element: a comma (true: another
// follows) or close (false: the container ends). Anything else, or the
// end of the data, is a syntax error (false).
func (s *scanner) more(close byte) bool {
	s.ws()
	if s.pos >= len(s.data) {
		s.res.syntax = true
		return false
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return true
	case close:
		s.pos++
		return false
	default:
		s.res.syntax = true
		return false
	}
}

func (s *scanner) str(path string, keep bool) (string, bool) {
	s.pos++ // '"'
	bad := false
	var out []byte
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return string(out), bad
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				s.res.syntax = true
				return "", bad
			}
			if s.data[s.pos+1] != 'u' {
				esc, ok := jsonEscapes[s.data[s.pos+1]]
				if !ok {
					s.res.syntax = true
					return "", bad
				}
				if keep {
					out = append(out, esc)
				}
				s.pos += 2
				continue
			}
			r, ok := s.hex4(s.pos + 2)
			if !ok {
				s.res.syntax = true
				return "", bad
			}
			n := 6
			if r >= 0xd800 && r <= 0xdfff {
				lo, ok := rune(0), false
				if r <= 0xdbff && s.pos+11 < len(s.data) && s.data[s.pos+6] == '\\' && s.data[s.pos+7] == 'u' {
					lo, ok = s.hex4(s.pos + 8)
					ok = ok && lo >= 0xdc00 && lo <= 0xdfff
				}
				if !ok {
					field := path
					if field == "" {
						field = "the body"
					}
					s.res.prob = malformed("%s: the escape %s at byte %d is half of a UTF-16 surrogate pair; send the character itself or both halves",
						field, string(s.data[s.pos:s.pos+6]), s.pos)
					return "", bad
				}
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				n = 12
			}
			if keep {
				out = utf8.AppendRune(out, r)
			}
			s.pos += n
		case c < 0x20:
			s.res.syntax = true
			return "", bad
		case c < utf8.RuneSelf:
			if keep {
				out = append(out, c)
			}
			s.pos++
		default:
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n <= 1 {
				bad = true
				if keep {
					out = append(out, c)
				}
				s.pos++
				continue
			}
			if keep {
				out = append(out, s.data[s.pos:s.pos+n]...)
			}
			s.pos += n
		}
	}
	s.res.syntax = true
	return "", bad
}

// jsonEscapes are the one-letter escapes of RFC 8259 section 7.
var jsonEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (s *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.data[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}
