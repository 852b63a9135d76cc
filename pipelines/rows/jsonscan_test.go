package rows

import (
	"maps"
	"slices"
	"testing"
)

// FuzzFlatObject: whatever line the scanner reads, encoding/json reads
// too, to the same fields and values — the scanner only ever takes the
// fast path where the two agree.
func FuzzFlatObject(f *testing.F) {
	for _, s := range []string{
		`{"user_id":"u1","time":"2026-10-03T08:09:10Z","type":"like","category":"travel"}`,
		`{"a":1,"b":-0.5e+3,"c":true,"d":false,"e":null,"f":{},"g":[],"a":"last"}`,
		`{ "x" : "é日本" , "y":12345678901234567890 }`,
		`{}`, `{"a":"\u0041"}`, `{"a":01}`, `{"a":1,}`, `{"a":[1]}`, `{"a":"b"} x`, `["a"]`, `{"a":tru}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var flat flatRow
		if !scanFlatObject(b, &flat) {
			return
		}
		obj, err := decodeJSONObject(b)
		if err != nil {
			t.Fatalf("the scanner reads %q, encoding/json refuses it: %v", b, err)
		}
		if got, want := slices.Sorted(slices.Values(flat.names())), slices.Sorted(maps.Keys(obj)); !slices.Equal(got, want) {
			t.Fatalf("%q: names %q, encoding/json %q", b, got, want)
		}
		for _, k := range append(flat.names(), "missing") {
			v, ok := flat.Field(k)
			w, wok := obj.Field(k)
			if v != w || ok != wok {
				t.Fatalf("%q: field %q is %q (%v), encoding/json gives %q (%v)", b, k, v, ok, w, wok)
			}
		}
	})
}

// TestFlatObjectTakesTheCommonLines: the lines sosie's inputs are made of
// take the fast path; an escape, a nested value or a malformed line
// does not.
func TestFlatObjectTakesTheCommonLines(t *testing.T) {
	var r flatRow
	for _, s := range []string{
		`{"user_id":"fa2w0m9uppwjscy","time":"2026-08-17T11:16:22Z","type":"like","category":"gaming"}`,
		`{"user_id":123,"phone":"+33 6 12 34 56 78","consent_ads":true,"birth_year":null,"tags":[]}`,
	} {
		if !scanFlatObject([]byte(s), &r) {
			t.Errorf("%s: not read by the scanner", s)
		}
	}
	for _, s := range []string{`{"a":"\"q\""}`, `{"a":{"b":1}}`, `{"a":1`, `{"a":1}{}`, `{"a":"` + "\xff" + `"}`, `{"a":+1}`} {
		if scanFlatObject([]byte(s), &r) {
			t.Errorf("%s: read by the scanner", s)
		}
	}
}
