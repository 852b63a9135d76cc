package features

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The wire form of the records, as they cross a runner between stages:
// a version byte, then the fields in a fixed order — integers as varints,
// strings length-prefixed, times as Unix seconds, nanoseconds and zone
// offset — about a third of their JSON and several times faster to write
// and read. It is not a file format: files keep JSON lines.
//
// Each AppendX appends x to b; each ReadX reads one x from the start of b
// and returns the bytes after it. A time decodes as encoding/json decodes
// its RFC 3339 text: UTC, or a fixed zone of the same offset.

// wireVersion starts every record; a change of layout changes it.
const wireVersion = 2

// ErrWire says bytes are not a record of the wire form.
var ErrWire = errors.New("features: not a record of the wire form")

// wireReader reads a record's fields in order; the first error sticks.
type wireReader struct {
	b   []byte
	err error
}

func newWireReader(b []byte, what string) *wireReader {
	r := &wireReader{b: b}
	if len(b) == 0 || b[0] != wireVersion {
		r.err = fmt.Errorf("%w: %s", ErrWire, what)
		return r
	}
	r.b = b[1:]
	return r
}

func (r *wireReader) fail() {
	if r.err == nil {
		r.err = ErrWire
	}
	r.b = nil
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) int() int { return int(r.varint()) }

func (r *wireReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wireReader) bool() bool { return r.uvarint() != 0 }

func (r *wireReader) time() time.Time {
	if r.uvarint() == 0 {
		return time.Time{}
	}
	sec, nsec, off := r.varint(), r.uvarint(), r.varint()
	t := time.Unix(sec, int64(nsec)).UTC()
	if off != 0 {
		t = t.In(time.FixedZone("", int(off)))
	}
	return t
}

// Keys (person keys, keyed hashes: 64 lower-case hex digits) are most of
// a record's bytes, so a key goes as a tag and then its 32 bytes, or
// (other text) the string, or nothing when it is the enclosing person's.
const (
	keyText   = 0
	keyHex    = 1
	keyPerson = 2
)

// appendKey appends key; outer is the enclosing person's key ("" if none).
func appendKey(b []byte, key, outer string) []byte {
	switch {
	case key == outer && outer != "":
		return append(b, keyPerson)
	case len(key) == 64 && isLowerHex(key):
		b = append(b, keyHex)
		b, _ = hex.AppendDecode(b, []byte(key)) // cannot fail: lower-case hex
		return b
	}
	return appendStr(append(b, keyText), key)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// AppendKey appends a key's wire form (32 bytes for a person key) to b.
func AppendKey(b []byte, key string) []byte { return appendKey(b, key, "") }

// ReadKey reads a key's wire form from b.
func ReadKey(b []byte) (string, []byte, error) {
	r := wireReader{b: b}
	k := r.key("")
	return k, r.b, r.err
}

// key reads a key appendKey wrote with the same outer key.
func (r *wireReader) key(outer string) string {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return ""
	}
	tag := r.b[0]
	r.b = r.b[1:]
	switch {
	case tag == keyText:
		return r.str()
	case tag == keyHex && len(r.b) >= 32:
		k := hex.EncodeToString(r.b[:32])
		r.b = r.b[32:]
		return k
	case tag == keyPerson && outer != "":
		return outer
	}
	r.fail()
	return ""
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendInt(b []byte, v int) []byte { return binary.AppendVarint(b, int64(v)) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	_, off := t.Zone()
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return binary.AppendVarint(b, int64(off))
}

// AppendAccount appends a's wire form to b.
func AppendAccount(b []byte, a Account) []byte {
	b = append(b, wireVersion)
	return appendAccount(b, a)
}

func appendAccount(b []byte, a Account) []byte {
	b = appendStr(b, a.App)
	b = appendStr(b, a.UserID)
	b = appendStr(b, a.Phone)
	b = appendStr(b, a.Country)
	b = appendInt(b, a.BirthYear)
	b = appendInt(b, a.Age)
	b = appendStr(b, string(a.Gender))
	b = appendStr(b, a.OS)
	b = appendStr(b, a.Carrier)
	b = appendTime(b, a.CreatedAt)
	b = appendTime(b, a.UpdatedAt)
	b = appendBool(b, a.ConsentAds)
	b = appendBool(b, a.ConsentCrossApp)
	b = appendStr(b, a.Source)
	return appendInt(b, a.Line)
}

// ReadAccount reads an Account's wire form from b.
func ReadAccount(b []byte) (Account, []byte, error) {
	r := newWireReader(b, "account")
	a := r.account()
	return a, r.b, r.err
}

func (r *wireReader) account() Account {
	return Account{App: r.str(), UserID: r.str(), Phone: r.str(), Country: r.str(), BirthYear: r.int(), Age: r.int(),
		Gender: Gender(r.str()), OS: r.str(), Carrier: r.str(), CreatedAt: r.time(), UpdatedAt: r.time(),
		ConsentAds: r.bool(), ConsentCrossApp: r.bool(), Source: r.str(), Line: r.int()}
}

// AppendEvent appends e's wire form to b.
func AppendEvent(b []byte, e Event) []byte {
	b = append(b, wireVersion)
	b = appendStr(b, e.App)
	b = appendStr(b, e.UserID)
	b = appendTime(b, e.Time)
	b = binary.AppendUvarint(b, uint64(e.Type))
	return binary.AppendUvarint(b, uint64(e.Category))
}

// ReadEvent reads an Event's wire form from b.
func ReadEvent(b []byte) (Event, []byte, error) {
	r := newWireReader(b, "event")
	e := Event{App: r.str(), UserID: r.str(), Time: r.time()}
	e.Type, e.Category = EventType(r.uvarint()), Category(r.uvarint())
	return e, r.b, r.err
}

// AppendActivity appends a's wire form to b.
func AppendActivity(b []byte, a Activity) []byte {
	b = append(b, wireVersion)
	return appendActivity(b, a)
}

func appendActivity(b []byte, a Activity) []byte {
	for _, n := range a.Events {
		b = binary.AppendUvarint(b, uint64(n))
	}
	for _, n := range a.Categories {
		b = binary.AppendUvarint(b, uint64(n))
	}
	for _, d := range a.Days {
		b = binary.AppendUvarint(b, d)
	}
	b = binary.AppendVarint(b, a.First)
	b = binary.AppendVarint(b, a.Last)
	return binary.AppendUvarint(b, uint64(a.Ignored))
}

// ReadActivity reads an Activity's wire form from b.
func ReadActivity(b []byte) (Activity, []byte, error) {
	r := newWireReader(b, "activity")
	a := r.activity()
	return a, r.b, r.err
}

func (r *wireReader) activity() Activity {
	var a Activity
	for i := range a.Events {
		a.Events[i] = uint32(r.uvarint())
	}
	for i := range a.Categories {
		a.Categories[i] = uint32(r.uvarint())
	}
	for i := range a.Days {
		a.Days[i] = r.uvarint()
	}
	a.First, a.Last, a.Ignored = r.varint(), r.varint(), uint32(r.uvarint())
	return a
}

// AppendAppProfile appends p's wire form to b.
func AppendAppProfile(b []byte, p AppProfile) []byte {
	b = append(b, wireVersion)
	return appendAppProfile(b, p, "")
}

// appendAppProfile appends p; outer is the key of the person p is in.
func appendAppProfile(b []byte, p AppProfile, outer string) []byte {
	b = appendKey(b, p.PersonKey, outer)
	b = appendStr(b, p.App)
	b = appendInt(b, p.Accounts)
	b = appendStr(b, p.Country)
	b = appendInt(b, p.BirthYear)
	b = appendInt(b, p.Age)
	b = appendStr(b, string(p.Gender))
	b = appendStr(b, p.OS)
	b = appendStr(b, p.Carrier)
	b = appendTime(b, p.CreatedAt)
	b = appendTime(b, p.UpdatedAt)
	b = appendBool(b, p.ConsentAds)
	b = appendBool(b, p.ConsentCrossApp)
	return appendActivity(b, p.Activity)
}

// ReadAppProfile reads an AppProfile's wire form from b.
func ReadAppProfile(b []byte) (AppProfile, []byte, error) {
	r := newWireReader(b, "app profile")
	p := r.appProfile("")
	return p, r.b, r.err
}

func (r *wireReader) appProfile(outer string) AppProfile {
	return AppProfile{PersonKey: r.key(outer), App: r.str(), Accounts: r.int(), Country: r.str(), BirthYear: r.int(), Age: r.int(),
		Gender: Gender(r.str()), OS: r.str(), Carrier: r.str(), CreatedAt: r.time(), UpdatedAt: r.time(),
		ConsentAds: r.bool(), ConsentCrossApp: r.bool(), Activity: r.activity()}
}

// AppendPerson appends p's wire form to b.
func AppendPerson(b []byte, p Person) []byte {
	b = append(b, wireVersion)
	b = appendKey(b, p.Key, "")
	b = binary.AppendUvarint(b, uint64(len(p.Apps)))
	for _, a := range p.Apps {
		b = appendAppProfile(b, a, p.Key)
	}
	b = appendStr(b, p.Country)
	b = appendInt(b, p.BirthYear)
	b = appendInt(b, p.Age)
	b = appendStr(b, string(p.Gender))
	b = appendStr(b, p.OS)
	return appendStr(b, p.Carrier)
}

// ReadPerson reads a Person's wire form from b.
func ReadPerson(b []byte) (Person, []byte, error) {
	r := newWireReader(b, "person")
	p := Person{Key: r.key("")}
	n := r.uvarint()
	if n > uint64(len(r.b)) { // every profile takes bytes
		r.fail()
	}
	if r.err == nil && n > 0 {
		p.Apps = make([]AppProfile, n)
		for i := range p.Apps {
			p.Apps[i] = r.appProfile(p.Key)
		}
	}
	p.Country, p.BirthYear, p.Age, p.Gender, p.OS, p.Carrier = r.str(), r.int(), r.int(), Gender(r.str()), r.str(), r.str()
	return p, r.b, r.err
}
