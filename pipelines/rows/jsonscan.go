package rows

import (
	"unicode/utf8"
)

// flatRow is a JSON object line read by scanFlatObject: its members in
// order, values as the text features.JSONRow.Field would give. It holds
// slices of the line, so it is valid only until the next line is read;
// Field copies what it returns.
type flatRow struct {
	keys, vals [][]byte
	absent     []bool // null, an object or an array: no value
}

// Field implements features.Row with encoding/json's rule for a repeated
// name: the last one wins.
func (r *flatRow) Field(column string) (string, bool) {
	for i := len(r.keys) - 1; i >= 0; i-- {
		if string(r.keys[i]) == column {
			if r.absent[i] {
				return "", false
			}
			return string(r.vals[i]), true
		}
	}
	return "", false
}

// names are the object's member names, each once.
func (r *flatRow) names() []string {
	seen := make(map[string]bool, len(r.keys))
	var out []string
	for _, k := range r.keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			out = append(out, string(k))
		}
	}
	return out
}

// scanFlatObject reads a line that is one JSON object of names and scalar
// values — the shape of an input row — without building a map or
// reflecting: several times faster than encoding/json. It reports false
// for anything it does not read exactly as encoding/json does (an escape
// in a name or a string, invalid UTF-8, a nested object or array holding
// anything, and every malformed line); the caller decodes those with
// encoding/json, which also words the error.
func scanFlatObject(b []byte, r *flatRow) bool {
	r.keys, r.vals, r.absent = r.keys[:0], r.vals[:0], r.absent[:0]
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := scanString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		var val []byte
		absent, raw := false, false // raw: the value is its text
		switch c := b[i]; {
		case c == '"':
			val, j, ok = scanString(b, i)
		case c == '-' || (c >= '0' && c <= '9'):
			j, ok = scanNumber(b, i)
			raw = true
		case c == 't':
			j, ok = scanLiteral(b, i, "true")
			raw = true
		case c == 'f':
			j, ok = scanLiteral(b, i, "false")
			raw = true
		case c == 'n':
			j, ok = scanLiteral(b, i, "null")
			absent = true
		case c == '{' || c == '[':
			// Only an empty one: anything inside goes to encoding/json.
			close := byte('}')
			if c == '[' {
				close = ']'
			}
			j = skipSpace(b, i+1)
			ok = j < len(b) && b[j] == close
			j++
			absent = true
		default:
			return false
		}
		if !ok {
			return false
		}
		if raw {
			val = b[i:j]
		}
		r.keys, r.vals, r.absent = append(r.keys, key), append(r.vals, val), append(r.absent, absent)
		i = skipSpace(b, j)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString reads the string at b[i] (a quote), returning its contents
// and the index after its closing quote; false for an escape, a control
// character or invalid UTF-8.
func scanString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	start, ascii := i+1, true
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, 0, false
}

// scanNumber reads a JSON number at b[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, true
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}
