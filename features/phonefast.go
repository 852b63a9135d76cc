package features

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The fast path re-implements, for the shapes of input that make up nearly all
// real data (ASCII digits with spaces, dots, dashes, slashes and parentheses,
// an optional leading '+'), exactly the steps of libphonenumber's Parse and
// IsValidNumber, with the region's validation patterns compiled into one
// digitDFA instead of a dozen backtracking regexp runs. Anything else, and
// every input the library would refuse to parse, goes to the library itself,
// so the fast path only ever answers with the library's own verdict. The
// differential tests (phone_test.go) and FuzzNormalizePhone check that
// claim against the library.

// Indices of a region's patterns in its DFA, in getNumberTypeHelper's order.
const (
	descGeneral = iota
	descPremiumRate
	descTollFree
	descSharedCost
	descVoip
	descPersonal
	descPager
	descUAN
	descVoicemail
	descFixedLine
	descMobile
	numDescs
	patLeadingDigits = numDescs // matched as a prefix
)

// regionRules is one region's metadata in the form the fast path uses.
type regionRules struct {
	md      *phonenumbers.PhoneMetadata
	cc      int
	ccStr   string
	dfa     *digitDFA
	lengths [numDescs][]int32
	idd     *regexp.Regexp // "^(?:international prefix)"
	npp     *regexp.Regexp // "^(?:national prefix for parsing)", nil when none
}

type regionSlot struct {
	once  sync.Once
	rules *regionRules // nil: this region is left to the library
}

// fastTables are built on first use: the supported regions' metadata and a
// lazily compiled rule set per region.
type fastTables struct {
	metadata map[string]*phonenumbers.PhoneMetadata
	slots    map[string]*regionSlot
}

var fastRegions = sync.OnceValue(func() fastTables {
	t := fastTables{
		metadata: map[string]*phonenumbers.PhoneMetadata{},
		slots:    map[string]*regionSlot{},
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return t // every number goes to the library
	}
	for _, md := range coll.GetMetadata() {
		if id := md.GetId(); phonenumbers.GetSupportedRegions()[id] {
			t.metadata[id] = md
			t.slots[id] = &regionSlot{}
		}
	}
	return t
})

// rulesFor returns the fast-path rules of a supported region, or nil.
func rulesFor(region string) *regionRules {
	t := fastRegions()
	slot := t.slots[region]
	if slot == nil {
		return nil
	}
	slot.once.Do(func() { slot.rules = buildRegionRules(t.metadata[region]) })
	return slot.rules
}

func buildRegionRules(md *phonenumbers.PhoneMetadata) *regionRules {
	descs := [numDescs]*phonenumbers.PhoneNumberDesc{
		descGeneral:     md.GetGeneralDesc(),
		descPremiumRate: md.GetPremiumRate(),
		descTollFree:    md.GetTollFree(),
		descSharedCost:  md.GetSharedCost(),
		descVoip:        md.GetVoip(),
		descPersonal:    md.GetPersonalNumber(),
		descPager:       md.GetPager(),
		descUAN:         md.GetUan(),
		descVoicemail:   md.GetVoicemail(),
		descFixedLine:   md.GetFixedLine(),
		descMobile:      md.GetMobile(),
	}
	r := &regionRules{md: md, cc: int(md.GetCountryCode())}
	r.ccStr = strconv.Itoa(r.cc)
	patterns := make([]string, numDescs+1)
	for i, d := range descs {
		patterns[i] = d.GetNationalNumberPattern()
		r.lengths[i] = d.GetPossibleLength()
	}
	if len(r.lengths[descGeneral]) == 0 {
		return nil // testNumberLength would index an empty list; leave it to the library
	}
	// An absent leading-digits pattern never decides the region; "$^"-like
	// impossibility is expressed by a class no digit is in.
	patterns[patLeadingDigits] = "[^0-9]"
	if ld := md.GetLeadingDigits(); ld != "" {
		patterns[patLeadingDigits] = ld
	}
	dfa, err := compileDigitDFA(patterns)
	if err != nil {
		return nil
	}
	r.dfa = dfa
	idd, err := regexp.Compile("^(?:" + md.GetInternationalPrefix() + ")")
	if err != nil {
		return nil
	}
	r.idd = idd
	if p := md.GetNationalPrefixForParsing(); p != "" {
		npp, err := regexp.Compile("^(?:" + p + ")")
		if err != nil {
			return nil
		}
		r.npp = npp
	}
	return r
}

// matches reports whether the national significant number nsn, whose DFA
// verdict is full, matches desc i (possible lengths first, as the library).
func (r *regionRules) matches(full uint32, nsnLen int, i int) bool {
	if full&(1<<i) == 0 {
		return false
	}
	if l := r.lengths[i]; len(l) > 0 {
		for _, n := range l {
			if int(n) == nsnLen {
				return true
			}
		}
		return false
	}
	return true
}

// specialTypes are the types getNumberTypeHelper tries first, in its order.
var specialTypes = [...]phonenumbers.PhoneNumberType{
	descPremiumRate: phonenumbers.PREMIUM_RATE,
	descTollFree:    phonenumbers.TOLL_FREE,
	descSharedCost:  phonenumbers.SHARED_COST,
	descVoip:        phonenumbers.VOIP,
	descPersonal:    phonenumbers.PERSONAL_NUMBER,
	descPager:       phonenumbers.PAGER,
	descUAN:         phonenumbers.UAN,
	descVoicemail:   phonenumbers.VOICEMAIL,
}

// numberType is getNumberTypeHelper on the DFA verdict.
func (r *regionRules) numberType(full uint32, nsnLen int) phonenumbers.PhoneNumberType {
	if !r.matches(full, nsnLen, descGeneral) {
		return phonenumbers.UNKNOWN
	}
	for i := descPremiumRate; i <= descVoicemail; i++ {
		if r.matches(full, nsnLen, i) {
			return specialTypes[i]
		}
	}
	same := r.md.GetSameMobileAndFixedLinePattern()
	if r.matches(full, nsnLen, descFixedLine) {
		if same || r.matches(full, nsnLen, descMobile) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !same && r.matches(full, nsnLen, descMobile) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// generalMatches is the library's unanchored-length check of a candidate
// national number against the general pattern (no possible-length test).
// ok is false when s is not all digits.
func (r *regionRules) generalMatches(s string) (match, ok bool) {
	full, _, ok := r.dfa.run(s)
	return full&(1<<descGeneral) != 0, ok
}

type lengthVerdict int

const (
	lengthPossible lengthVerdict = iota
	lengthLocalOnly
	lengthTooShort
	lengthTooLong
	lengthInvalid
)

// testLength is the library's testNumberLength for the UNKNOWN type.
func (r *regionRules) testLength(n int) lengthVerdict {
	gd := r.md.GetGeneralDesc()
	possible := gd.GetPossibleLength()
	if possible[0] == -1 {
		return lengthInvalid
	}
	for _, l := range gd.GetPossibleLengthLocalOnly() {
		if int(l) == n {
			return lengthLocalOnly
		}
	}
	switch {
	case int(possible[0]) == n:
		return lengthPossible
	case int(possible[0]) > n:
		return lengthTooShort
	case int(possible[len(possible)-1]) < n:
		return lengthTooLong
	}
	for _, l := range possible[1:] {
		if int(l) == n {
			return lengthPossible
		}
	}
	return lengthInvalid
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode without the
// carrier code. ok is false when the outcome cannot be decided here.
func (r *regionRules) stripNationalPrefix(number string) (string, bool) {
	if len(number) == 0 || r.npp == nil {
		return number, true
	}
	groups := r.npp.FindStringSubmatchIndex(number)
	if groups == nil {
		return number, true
	}
	viable, ok := r.generalMatches(number)
	if !ok {
		return "", false
	}
	numGroups := len(groups)/2 - 1
	transform := r.md.GetNationalPrefixTransformRule()
	var candidate string
	if transform == "" || groups[numGroups*2] < 0 {
		candidate = number[groups[1]:]
	} else {
		candidate = r.npp.ReplaceAllString(number, transform)
	}
	stillViable, ok := r.generalMatches(candidate)
	if !ok {
		return "", false
	}
	if viable && !stillViable {
		return number, true
	}
	return candidate, true
}

// extractCountryCode returns the first 1 to 3 digit prefix of digits that is
// a known country calling code, as the library does.
func extractCountryCode(digits string) (cc int, rest string) {
	if len(digits) == 0 || digits[0] == '0' {
		return 0, ""
	}
	v := 0
	for i := 1; i <= 3 && i <= len(digits); i++ {
		v = v*10 + int(digits[i-1]-'0')
		if len(phonenumbers.GetRegionCodesForCountryCode(v)) > 0 {
			return v, digits[i:]
		}
	}
	return 0, ""
}

// fastNormalize answers for s (trimmed, non-empty) and a canonical region
// when it can give the library's exact verdict; ok is false otherwise.
func fastNormalize(s, region string, mobileOnly bool) (e164 string, ok bool, err error) {
	if len(s) > 40 {
		return "", false, nil
	}
	var buf [40]byte
	digits := buf[:0]
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		case c == '+' && i == 0:
			plus = true
		default:
			return "", false, nil
		}
	}
	if len(digits) < 4 || len(digits) > 20 {
		return "", false, nil
	}
	d := string(digits)

	home := rulesFor(region)
	var (
		cc       int
		national string
		rules    *regionRules // the metadata national numbers are read with
	)
	switch {
	case plus:
		cc, national = extractCountryCode(d)
	case home == nil:
		return "", false, nil // the library decides what a bad region means
	default:
		if m := home.idd.FindStringIndex(d); m != nil {
			if end := m[1]; end == len(d) || d[end] != '0' {
				if len(d)-end <= 2 {
					return "", false, nil
				}
				cc, national = extractCountryCode(d[end:])
				if cc == 0 {
					return "", false, nil
				}
				break
			}
		}
		// No international prefix: the number may still start with the
		// region's own calling code, without '+'.
		cc, national, rules = home.cc, d, home
		if len(d) > len(home.ccStr) && d[:len(home.ccStr)] == home.ccStr {
			pot, ok := home.stripNationalPrefix(d[len(home.ccStr):])
			if !ok {
				return "", false, nil
			}
			fullValid, _ := home.generalMatches(d)
			potValid, ok := home.generalMatches(pot)
			if !ok {
				return "", false, nil
			}
			if (!fullValid && potValid) || home.testLength(len(d)) == lengthTooLong {
				// The calling code was stripped: the library now reads the
				// number with the calling code's main region, which for
				// shared codes (+1, +7, +44) need not be home.
				national, rules = pot, nil
			}
		}
	}
	if cc == 0 {
		return "", false, nil
	}
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	if rules == nil {
		if len(regions) == 0 || regions[0] == "001" {
			return "", false, nil
		}
		if rules = rulesFor(regions[0]); rules == nil {
			return "", false, nil
		}
	}
	if len(national) < 2 {
		return "", false, nil
	}
	pot, ok := rules.stripNationalPrefix(national)
	if !ok {
		return "", false, nil
	}
	switch rules.testLength(len(pot)) {
	case lengthTooShort, lengthLocalOnly, lengthInvalid:
	default:
		national = pot
	}
	if len(national) < 2 || len(national) > 17 {
		return "", false, nil
	}
	// national is now the national significant number (Italian leading
	// zeros included), as GetNationalSignificantNumber would rebuild it.

	// GetRegionCodeForNumber, then the type in that region.
	var numType phonenumbers.PhoneNumberType = phonenumbers.UNKNOWN
	found := false
	for _, id := range regions {
		rr := rulesFor(id)
		if rr == nil {
			return "", false, nil
		}
		full, prefix, ok := rr.dfa.run(national)
		if !ok {
			return "", false, nil
		}
		if rr.md.GetLeadingDigits() != "" {
			if prefix&(1<<patLeadingDigits) != 0 {
				numType, found = rr.numberType(full, len(national)), true
				break
			}
			continue
		}
		if t := rr.numberType(full, len(national)); t != phonenumbers.UNKNOWN {
			numType, found = t, true
			break
		}
	}
	if !found || numType == phonenumbers.UNKNOWN {
		return "", true, ErrInvalid
	}
	if mobileOnly && !isMobileType(numType) {
		return "", true, ErrNotMobile
	}
	return "+" + strconv.Itoa(cc) + national, true, nil
}
