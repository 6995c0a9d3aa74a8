package ctl

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// escape makes s safe to print on a terminal: every byte of invalid
// UTF-8 becomes \xHH, and every rune that is not printable (C0 and C1
// controls, DEL, ESC and with it every ANSI sequence, the bidirectional
// controls such as U+202E, other format characters) becomes \u{HHHH}.
// Printable text, spaces included, is left as it is. A tab or a newline
// stored in a name would break a table's columns; they are escaped too.
func escape(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !isPrint(r):
			fmt.Fprintf(&b, `\u{%04x}`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// printable reports whether escape leaves s as it is.
func printable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || !isPrint(r) {
			return false
		}
		i += n
	}
	return true
}

// isPrint is unicode.IsPrint with the ASCII space, minus the format
// characters (category Cf: the bidirectional controls, zero-width
// joiners), which unicode.IsPrint already refuses; spelled out because
// the bidi overrides are the ones that make text read other than it is.
func isPrint(r rune) bool {
	return r == ' ' || (unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r))
}

// escapeStrings escapes, in place, every string that v (a pointer to a
// decoded document) holds, however deep: what a table or a line prints
// comes from these fields, so that none of them can reach the terminal
// unescaped. Raw JSON ([]byte) is left alone.
func escapeStrings(v any) {
	escapeValue(reflect.ValueOf(v))
}

func escapeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			escapeValue(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				escapeValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			escapeValue(v.Index(i))
		}
	case reflect.Map:
		// Maps are rebuilt: their keys are printed too.
		if v.IsNil() || !v.CanSet() {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(it.Key())
			escapeValue(k)
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			escapeValue(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		if v.CanSet() {
			v.SetString(escape(v.String()))
		}
	}
}

// escapeJSON rewrites the runes a terminal would act on that JSON allows
// raw inside strings (C1 controls, DEL, the bidirectional and other format
// controls) as \uHHHH escapes: the document means the same, and prints
// as it reads. The server's encoder already escapes C0 controls and
// replaces invalid UTF-8.
func escapeJSON(b []byte) []byte {
	if printable(string(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\n"), nil), []byte("\t"), nil))) {
		return b
	}
	var out bytes.Buffer
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == '\n' || r == '\t' || r == ' ':
			out.WriteByte(byte(r))
		case r == utf8.RuneError && n <= 1:
			out.WriteString(`\ufffd`)
		case !isPrint(r):
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&out, `\u%04x`, r)
			}
		default:
			out.Write(b[i : i+n])
		}
		i += n
	}
	return out.Bytes()
}
