package pipelines

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sosie-dev/sosie/features"
)

// TestCoders: every element type with a coder of its own reads back as
// it was written, and a cut record is refused.
func TestCoders(t *testing.T) {
	at := time.Date(2026, 10, 3, 8, 9, 10, 0, time.UTC)
	acct := features.Account{App: "facebook", UserID: "u1", Phone: "+33612345678", Country: "FR", BirthYear: 1987, CreatedAt: at, ConsentAds: true, Source: "a.csv", Line: 7}
	person := features.Person{Key: "k1", Apps: []features.AppProfile{{PersonKey: "k1", App: "facebook", Accounts: 1, CreatedAt: at}}, Country: "FR"}
	for _, c := range []struct {
		v   any
		enc func(any) ([]byte, error)
		dec func([]byte) (any, error)
	}{
		{keyedAccount{Key: "k1", Account: acct},
			func(v any) ([]byte, error) { return appendKeyedAccount(nil, v.(keyedAccount)), nil },
			func(b []byte) (any, error) { return decKeyedAccount(b) }},
		{seededPerson{Person: person, Seeds: []seedOf{{List: "l1", Value: 40.25}, {List: "l2", Value: 1}}},
			func(v any) ([]byte, error) { return encSeededPerson(v.(seededPerson)) },
			func(b []byte) (any, error) { return decSeededPerson(b) }},
		{AccountProfile{Profile: person.Apps[0], UserID: "u1", Source: "gs://b/accounts-00001.csv", Line: 300},
			func(v any) ([]byte, error) { return encAccountProfile(v.(AccountProfile)) },
			func(b []byte) (any, error) { return decAccountProfile(b) }},
		{seededPerson{Person: person},
			func(v any) ([]byte, error) { return encSeededPerson(v.(seededPerson)) },
			func(b []byte) (any, error) { return decSeededPerson(b) }},
	} {
		b, err := c.enc(c.v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.dec(b)
		if err != nil || !reflect.DeepEqual(got, c.v) {
			t.Fatalf("%T: read back %+v (%v)", c.v, got, err)
		}
		for n := range len(b) {
			if _, err := c.dec(b[:n]); !errors.Is(err, features.ErrWire) {
				t.Fatalf("%T: %d of %d bytes read without an error (%v)", c.v, n, len(b), err)
			}
		}
	}
}
