package features

import (
	"errors"
	"strings"
	"testing"
)

func TestHashPhone(t *testing.T) {
	h := HashPhone("+33612345678")
	// From coreutils: printf '+33612345678' | sha256sum; printf '33612345678' | sha256sum
	want := PhoneHashes{
		PlusE164: "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8",
		Digits:   "8a3e7886c9335e82e02299fa3e87b46e2de3b0c63d56003e30a5029394a47661",
	}
	if h != want {
		t.Fatalf("HashPhone = %+v, want %+v", h, want)
	}
}

func TestParseSHA256Hex(t *testing.T) {
	good := strings.Repeat("ab", 32)
	for _, in := range []string{good, strings.ToUpper(good), "  " + good + "\n"} {
		got, err := ParseSHA256Hex(in)
		if err != nil || got != good {
			t.Errorf("ParseSHA256Hex(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", good[:63], good + "a", strings.Repeat("g", 64), "+33612345678", good[:62] + " a"} {
		if _, err := ParseSHA256Hex(in); !errors.Is(err, ErrBadHash) || ReasonOf(err) != ReasonBadHash {
			t.Errorf("ParseSHA256Hex(%q): %v, want bad_hash", in, err)
		}
	}
	if !LooksHashed(good) || LooksHashed("+33612345678") || LooksHashed(strings.Repeat("1", 64)) {
		t.Error("LooksHashed")
	}
}

func TestPersonKey(t *testing.T) {
	k1, err := PersonKey([]byte("pepper"), "+33612345678")
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := PersonKey([]byte("pepper"), "+33612345678")
	k3, _ := PersonKey([]byte("salt"), "+33612345678")
	k4, _ := PersonKey([]byte("pepper"), "+33612345679")
	if k1 != k2 || k1 == k3 || k1 == k4 || len(k1) != 64 {
		t.Fatalf("keys %s %s %s %s", k1, k2, k3, k4)
	}
	if k1 == HashPhone("+33612345678").PlusE164 {
		t.Fatal("a person key must not be the plain hash")
	}
	keyer, _ := NewKeyer([]byte("pepper"))
	if keyer.Key("+33612345678") != k1 || keyer.Key("+33612345679") != k4 || keyer.Key("+33612345678") != k1 {
		t.Fatal("a reused Keyer must give the same keys")
	}
	if _, err := NewKeyer(nil); !errors.Is(err, ErrNoPepper) {
		t.Fatalf("empty pepper: %v", err)
	}
}

func TestShared(t *testing.T) {
	if err := CheckShared(5, 5); err != nil {
		t.Errorf("5 of 5: %v", err)
	}
	if err := CheckShared(6, 5); !errors.Is(err, ErrShared) || ReasonOf(err) != ReasonShared {
		t.Errorf("6 of 5: %v", err)
	}
	if err := CheckShared(DefaultMaxAccountsPerPhone+1, 0); err == nil {
		t.Error("default limit not applied")
	}
	got := SharedPhones(map[string]int{"+33600000000": 120, "+33612345678": 2, "+14155550000": 7}, 5)
	if len(got) != 2 || got[0] != "+14155550000" || got[1] != "+33600000000" {
		t.Errorf("SharedPhones = %v", got)
	}
}

func TestReadSeedPhone(t *testing.T) {
	h := HashPhone("+33612345678")
	cases := []struct {
		cell, country string
		want          SeedID
		reason        Reason
	}{
		{"06 12 34 56 78", "FR", SeedID{E164: "+33612345678"}, ""},
		{"+33612345678", "", SeedID{E164: "+33612345678"}, ""},
		{h.PlusE164, "", SeedID{Hash: h.PlusE164}, ""},
		{strings.ToUpper(h.Digits), "", SeedID{Hash: h.Digits}, ""},
		{"06 12 34 56 78", "", SeedID{}, ReasonNoRegion},
		{"", "FR", SeedID{}, ReasonEmpty},
		{"n/a", "FR", SeedID{}, ReasonUnparseable},
	}
	for _, tc := range cases {
		got, err := ReadSeedPhone(tc.cell, tc.country)
		if got != tc.want || ReasonOf(err) != tc.reason {
			t.Errorf("ReadSeedPhone(%q, %q) = %+v, %v; want %+v, %q", tc.cell, tc.country, got, err, tc.want, tc.reason)
		}
	}
}

func TestKeyerHashKey(t *testing.T) {
	k1, _ := NewKeyer([]byte("pepper one"))
	k2, _ := NewKeyer([]byte("pepper two"))
	h := HashPhone("+33612345678").PlusE164
	a := k1.HashKey(h)
	if a == h || a == k1.Key(h) || a == k1.Key("+33612345678") || a != k1.HashKey(h) || a == k2.HashKey(h) || len(a) != 64 {
		t.Fatalf("HashKey %s: not a keyed, stable, pepper-bound form distinct from person keys", a)
	}
}

// TestNormalizeListPhone: digits with the country code and no + (as CRMs
// export them) read as international when they are no national number;
// a valid national number stays national.
func TestNormalizeListPhone(t *testing.T) {
	for _, tc := range []struct{ cell, country, want string }{
		{"33612345678", "FR", "+33612345678"},
		{"33612345678", "", "+33612345678"},
		{"447400123456", "FR", "+447400123456"},
		{"0612345678", "FR", "+33612345678"},
		{"4155552671", "US", "+14155552671"},
		{"14155552671", "US", "+14155552671"},
	} {
		if got, err := NormalizeListPhone(tc.cell, tc.country); err != nil || got != tc.want {
			t.Errorf("NormalizeListPhone(%q, %q) = %q, %v; want %s", tc.cell, tc.country, got, err, tc.want)
		}
	}
	for _, bad := range []string{"99999999999", "0033612", "33-6-12"} {
		if _, err := NormalizeListPhone(bad, "FR"); err == nil {
			t.Errorf("NormalizeListPhone(%q) passed", bad)
		}
	}
}
