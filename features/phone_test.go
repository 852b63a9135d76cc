package features

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// phoneCases are real-world ways people and databases write phone numbers.
var phoneCases = []struct {
	name, raw, region string
	want              string // E.164, or "" when rejected
	reason            Reason
}{
	// France
	{"FR national spaced", "06 12 34 56 78", "FR", "+33612345678", ""},
	{"FR national dotted", "06.12.34.56.78", "FR", "+33612345678", ""},
	{"FR national dashed", "06-12-34-56-78", "FR", "+33612345678", ""},
	{"FR international", "+33 6 12 34 56 78", "FR", "+33612345678", ""},
	{"FR (0) in international", "+33 (0)6 12 34 56 78", "FR", "+33612345678", ""},
	{"FR 00 prefix", "0033 6 12 34 56 78", "FR", "+33612345678", ""},
	{"FR cc without plus", "33612345678", "FR", "+33612345678", ""},
	{"FR E.164 read abroad", "+33612345678", "US", "+33612345678", ""},
	{"FR landline", "01 42 68 53 00", "FR", "+33142685300", ""},
	{"FR full-width digits", "０６１２３４５６７８", "FR", "+33612345678", ""},
	{"FR lower-case region", "06 12 34 56 78", "fr", "+33612345678", ""},
	{"FR too short", "06 12 34", "FR", "", ReasonInvalid},
	{"FR too long", "06 12 34 56 78 90 12", "FR", "", ReasonInvalid},
	// Germany
	{"DE national", "0151 23456789", "DE", "+4915123456789", ""},
	{"DE slash", "0151/23456789", "DE", "+4915123456789", ""},
	{"DE international", "+49 151 23456789", "DE", "+4915123456789", ""},
	{"DE (0)", "+49 (0)151 2345 6789", "DE", "+4915123456789", ""},
	{"DE 0049", "0049 151 23456789", "DE", "+4915123456789", ""},
	{"DE Berlin landline", "030 1234567", "DE", "+49301234567", ""},
	// United Kingdom
	{"GB national mobile", "07400 123456", "GB", "+447400123456", ""},
	{"GB international", "+44 7400 123456", "GB", "+447400123456", ""},
	{"GB (0)", "+44 (0)7400 123456", "GB", "+447400123456", ""},
	{"GB London", "020 7946 0958", "GB", "+442079460958", ""},
	{"GB unassigned 07 range", "07000 000000", "GB", "+447000000000", ""},
	// United States
	{"US parentheses", "(415) 555-2671", "US", "+14155552671", ""},
	{"US dotted", "415.555.2671", "US", "+14155552671", ""},
	{"US with 1", "1-415-555-2671", "US", "+14155552671", ""},
	{"US international", "+1 415 555 2671", "US", "+14155552671", ""},
	{"US 011 read from US", "011 33 6 12 34 56 78", "US", "+33612345678", ""},
	{"US extension", "(415) 555-2671 ext. 123", "US", "+14155552671", ""},
	{"US x extension", "415-555-2671 x45", "US", "+14155552671", ""},
	{"US vanity letters", "1-800-FLOWERS", "US", "+18003569377", ""},
	{"US unassigned area code", "(123) 456-7890", "US", "", ReasonInvalid},
	// India
	{"IN national", "098765 43210", "IN", "+919876543210", ""},
	{"IN ten digits", "9876543210", "IN", "+919876543210", ""},
	{"IN international", "+91 98765 43210", "IN", "+919876543210", ""},
	{"IN 0091", "0091-98765-43210", "IN", "+919876543210", ""},
	// Brazil
	{"BR national", "(11) 91234-5678", "BR", "+5511912345678", ""},
	{"BR international", "+55 11 91234-5678", "BR", "+5511912345678", ""},
	{"BR trunk 0", "011 91234-5678", "BR", "+5511912345678", ""},
	// Nigeria
	{"NG national", "0803 123 4567", "NG", "+2348031234567", ""},
	{"NG international", "+234 803 123 4567", "NG", "+2348031234567", ""},
	{"NG cc without plus", "2348031234567", "NG", "+2348031234567", ""},
	// Indonesia
	{"ID national", "0812-3456-7890", "ID", "+6281234567890", ""},
	{"ID international", "+62 812 3456 7890", "ID", "+6281234567890", ""},
	// Spain
	{"ES national", "612 34 56 78", "ES", "+34612345678", ""},
	{"ES international", "+34 612 345 678", "ES", "+34612345678", ""},
	{"ES 0034", "0034612345678", "ES", "+34612345678", ""},
	// Italy: the leading zero of landlines is part of the number
	{"IT mobile", "312 345 6789", "IT", "+393123456789", ""},
	{"IT landline keeps 0", "06 6982 1234", "IT", "+390669821234", ""},
	{"IT international landline", "+39 06 6982 1234", "IT", "+390669821234", ""},
	// Elsewhere
	{"JP national", "090-1234-5678", "JP", "+819012345678", ""},
	{"AU national", "0412 345 678", "AU", "+61412345678", ""},
	{"MX mobile", "+52 55 1234 5678", "MX", "+525512345678", ""},
	{"CA number read as US", "+1 604 555 5555", "US", "+16045555555", ""},
	// Rejections
	{"empty", "", "FR", "", ReasonEmpty},
	{"white space only", " \t\n", "FR", "", ReasonEmpty},
	{"letters", "call me", "FR", "", ReasonUnparseable},
	{"one digit", "5", "FR", "", ReasonUnparseable},
	{"far too long", "+33 6 12 34 56 78 90 12 34 56 78 90", "FR", "", ReasonUnparseable},
	{"national without region", "06 12 34 56 78", "", "", ReasonNoRegion},
	{"national with unknown region", "06 12 34 56 78", "XX", "", ReasonNoRegion},
	{"unknown calling code", "+999 123 456 789", "FR", "", ReasonNoRegion},
	{"placeholder zeros", "0000000000", "FR", "", ReasonInvalid},
}

func TestNormalizePhone(t *testing.T) {
	countries := map[string]bool{}
	for _, tc := range phoneCases {
		countries[tc.region] = true
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizePhone(tc.raw, tc.region)
			if got != tc.want || ReasonOf(err) != tc.reason {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v (reason %q); want %q, reason %q",
					tc.raw, tc.region, got, err, ReasonOf(err), tc.want, tc.reason)
			}
			// The verdict is the library's, whichever path gave it.
			ref, refErr := libraryNormalize(strings.TrimSpace(tc.raw), canonicalRegion(tc.region), false)
			if tc.reason != ReasonEmpty && (ref != got || ReasonOf(refErr) != ReasonOf(err)) {
				t.Fatalf("library says %q, %v", ref, refErr)
			}
		})
	}
	if len(phoneCases) < 50 || len(countries) < 10 {
		t.Fatalf("the table has %d cases from %d regions; keep at least 50 from 10", len(phoneCases), len(countries))
	}
}

func TestNormalizePhoneErrorsMatchSentinels(t *testing.T) {
	cases := []struct {
		raw, region string
		sentinel    error
	}{
		{"", "FR", ErrEmpty},
		{"abc", "FR", ErrUnparseable},
		{"0612345678", "", ErrNoRegion},
		{"0000000000", "FR", ErrInvalid},
	}
	for _, tc := range cases {
		_, err := NormalizePhone(tc.raw, tc.region)
		if !errors.Is(err, tc.sentinel) {
			t.Errorf("NormalizePhone(%q, %q) error %v is not %v", tc.raw, tc.region, err, tc.sentinel)
		}
		if err != nil && strings.Contains(err.Error(), tc.raw) && tc.raw != "" {
			t.Errorf("error %q repeats the number", err)
		}
	}
}

func TestMobileOnly(t *testing.T) {
	n := PhoneNormalizer{MobileOnly: true}
	cases := []struct {
		raw, region string
		want        Reason
	}{
		{"06 12 34 56 78", "FR", ""},
		{"01 42 68 53 00", "FR", ReasonNotMobile}, // Paris landline
		{"0800 123 456", "FR", ReasonNotMobile},   // toll free
		{"(415) 555-2671", "US", ""},              // fixed line or mobile: cannot tell, kept
		{"020 7946 0958", "GB", ReasonNotMobile},  // London landline
		{"07400 123456", "GB", ""},
		{"030 1234567", "DE", ReasonNotMobile},
	}
	for _, tc := range cases {
		_, err := n.Normalize(tc.raw, tc.region)
		if ReasonOf(err) != tc.want {
			t.Errorf("Normalize(%q, %q) mobile only: %v, want reason %q", tc.raw, tc.region, err, tc.want)
		}
	}
}

// differentialCorpus writes every region's example numbers the ways people
// do, plus mutations, read with their own and with foreign regions.
func differentialCorpus() []struct{ raw, region string } {
	var out []struct{ raw, region string }
	add := func(raw, region string) { out = append(out, struct{ raw, region string }{raw, region}) }
	rng := rand.New(rand.NewPCG(7, 11))
	regions := make([]string, 0, 250)
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slicesSort(regions)
	types := []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.VOIP}
	for _, region := range regions {
		for _, typ := range types {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			forms := []string{
				phonenumbers.Format(ex, phonenumbers.E164),
				phonenumbers.Format(ex, phonenumbers.INTERNATIONAL),
				phonenumbers.Format(ex, phonenumbers.NATIONAL),
				strings.TrimPrefix(phonenumbers.Format(ex, phonenumbers.E164), "+"),
				"00" + strings.TrimPrefix(phonenumbers.Format(ex, phonenumbers.E164), "+"),
				phonenumbers.GetNationalSignificantNumber(ex),
			}
			for _, f := range forms {
				for _, r := range []string{region, "US", "FR", "DE", "BR", "", "ZZ"} {
					add(f, r)
				}
				// Mutations: a digit changed, dropped or doubled.
				for range 4 {
					b := []byte(f)
					i := rng.IntN(len(b))
					switch rng.IntN(3) {
					case 0:
						if b[i] >= '0' && b[i] <= '9' {
							b[i] = byte('0' + rng.IntN(10))
						}
					case 1:
						b = append(b[:i], b[i+1:]...)
					default:
						b = append(b[:i+1], b[i:]...)
					}
					add(string(b), region)
				}
			}
		}
	}
	return out
}

// TestFastPathAgreesWithLibrary is the differential test: wherever the fast
// path answers, its answer is the library's.
func TestFastPathAgreesWithLibrary(t *testing.T) {
	corpus := differentialCorpus()
	answered := 0
	for _, c := range corpus {
		s := strings.TrimSpace(c.raw)
		if s == "" {
			continue
		}
		region := canonicalRegion(c.region)
		for _, mobile := range []bool{false, true} {
			got, ok, err := fastNormalize(s, region, mobile)
			if !ok {
				continue
			}
			answered++
			want, wantErr := libraryNormalize(s, region, mobile)
			if got != want || ReasonOf(err) != ReasonOf(wantErr) {
				t.Errorf("fast path %q in %q (mobile only %v) = %q, %v; library %q, %v", s, region, mobile, got, err, want, wantErr)
			}
		}
	}
	// The fast path must actually carry the load it is there for.
	if share := float64(answered) / float64(2*len(corpus)); share < 0.5 {
		t.Errorf("fast path answered %.0f%% of %d inputs; want at least half", 100*share, 2*len(corpus))
	}
	t.Logf("%d inputs, fast path answered %d", 2*len(corpus), answered)
}

func FuzzNormalizePhone(f *testing.F) {
	for _, tc := range phoneCases {
		f.Add(tc.raw, tc.region)
	}
	for _, c := range []string{"+", "++33612345678", "(+33)612345678", "0 0 3 3 6", "+0612345678", "+1", "1", "00", "+330", "tel:+33612345678", "06 12 34 56 78;ext=1", "+7 (912) 345-67-89", "8 912 345-67-89", "+86 138 0013 8000", "+1 242 357 1234", "+44 1624 612345"} {
		f.Add(c, "FR")
		f.Add(c, "RU")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		got, err := NormalizePhone(raw, region)
		s := strings.TrimSpace(raw)
		if s != "" {
			want, wantErr := libraryNormalize(s, canonicalRegion(region), false)
			if got != want || ReasonOf(err) != ReasonOf(wantErr) {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; library %q, %v", raw, region, got, err, want, wantErr)
			}
		}
		if err != nil {
			if got != "" || ReasonOf(err) == "" {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v: an error must carry a reason and no number", raw, region, got, err)
			}
			return
		}
		// Idempotent: E.164 normalizes to itself, whatever the region.
		for _, r := range []string{region, "", "US"} {
			again, err := NormalizePhone(got, r)
			if err != nil || again != got {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v; not idempotent", got, r, again, err)
			}
		}
	})
}
