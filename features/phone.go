package features

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Reason is the stable short name of why a phone number or a row was
// rejected. It is what counters, dead letters and reports carry.
type Reason string

// The rejection reasons. Their strings never change: dashboards and reports
// key on them.
const (
	ReasonEmpty       Reason = "empty"            // nothing but white space
	ReasonUnparseable Reason = "unparseable"      // not a phone number at all (letters, too short, too long)
	ReasonNoRegion    Reason = "no_region"        // a national number and no usable default region, or an unknown country calling code
	ReasonInvalid     Reason = "invalid"          // parses, but no numbering plan assigns it
	ReasonNotMobile   Reason = "not_mobile"       // valid, but not a mobile number, and mobile was required
	ReasonBadHash     Reason = "bad_hash"         // not 64 hexadecimal characters
	ReasonShared      Reason = "shared"           // one number on more accounts of one app than allowed
	ReasonDuplicate   Reason = "duplicate"        // the same identity seen again where it must be unique
	ReasonBadField    Reason = "bad_field"        // a record field that cannot be decoded
	ReasonMissingCol  Reason = "missing_field"    // a required record field is absent
	ReasonUnknown     Reason = "unknown_account"  // events of an account the accounts table does not have
	ReasonAccountGone Reason = "account_rejected" // events of an account rejected for its phone
	ReasonEmptyFile   Reason = "empty_file"       // an input file with no row at all
	ReasonNoColumn    Reason = "missing_column"   // a file whose header or schema lacks a required column: all its rows
	ReasonBadQuote    Reason = "bad_quote"        // a CSV line whose quotes do not pair up (a record never spans lines)
	ReasonFieldCount  Reason = "field_count"      // a CSV line with more or fewer fields than its header
	ReasonBadLine     Reason = "bad_line"         // a JSON line that is not one JSON object
)

// RejectError is an error that carries a Reason. Match the reasons with
// errors.Is against the sentinel errors below, or read the reason with
// ReasonOf.
type RejectError struct {
	Reason Reason
	msg    string
}

func (e *RejectError) Error() string { return "features: " + e.msg }

// NewRejectError is a rejection for reason with a message that says why;
// it must not hold the rejected value if that is a phone or an identity.
func NewRejectError(reason Reason, msg string) *RejectError {
	return &RejectError{Reason: reason, msg: msg}
}

// Is reports whether target is a RejectError with the same reason, so a
// wrapped rejection matches its sentinel.
func (e *RejectError) Is(target error) bool {
	t, ok := target.(*RejectError)
	return ok && t.Reason == e.Reason
}

// The sentinel errors, one per phone rejection reason.
var (
	ErrEmpty       = &RejectError{ReasonEmpty, "empty phone number"}
	ErrUnparseable = &RejectError{ReasonUnparseable, "not a phone number"}
	ErrNoRegion    = &RejectError{ReasonNoRegion, "no country for a national phone number, or unknown country calling code"}
	ErrInvalid     = &RejectError{ReasonInvalid, "phone number not valid in its numbering plan"}
	ErrNotMobile   = &RejectError{ReasonNotMobile, "phone number is not a mobile number"}
	ErrBadHash     = &RejectError{ReasonBadHash, "hashed phone is not 64 hexadecimal characters"}
	ErrShared      = &RejectError{ReasonShared, "phone number shared by too many accounts"}
)

// ReasonOf returns the reason carried by err, or "" when err is nil or
// carries none.
func ReasonOf(err error) Reason {
	var re *RejectError
	if errors.As(err, &re) {
		return re.Reason
	}
	return ""
}

// PhoneNormalizer turns phone numbers as people type them into E.164. Its
// zero value accepts every valid number.
//
// A PhoneNormalizer holds no state; it is safe for concurrent use.
type PhoneNormalizer struct {
	// MobileOnly rejects numbers that libphonenumber does not classify as
	// mobile (or as fixed-line-or-mobile, where a plan does not tell them
	// apart, as in North America) with ErrNotMobile.
	MobileOnly bool
}

// NormalizePhone returns raw in E.164 form ("+33612345678"), reading national
// numbers in defaultRegion (an ISO 3166 code such as "FR"; case and
// surrounding space do not matter). Extensions are dropped. The verdict is
// exactly libphonenumber's: Parse, then IsValidNumber.
//
// The error wraps one of ErrEmpty, ErrUnparseable, ErrNoRegion or ErrInvalid.
// It never contains the number itself.
func NormalizePhone(raw, defaultRegion string) (string, error) {
	return PhoneNormalizer{}.Normalize(raw, defaultRegion)
}

// Normalize is NormalizePhone with n's settings; it can also return
// ErrNotMobile.
func (n PhoneNormalizer) Normalize(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ErrEmpty
	}
	region := canonicalRegion(defaultRegion)
	if e164, ok, err := fastNormalize(s, region, n.MobileOnly); ok {
		return e164, err
	}
	return libraryNormalize(s, region, n.MobileOnly)
}

// canonicalRegion upper-cases an ISO region code without allocating in the
// common case where it already is.
func canonicalRegion(r string) string {
	r = strings.TrimSpace(r)
	for i := 0; i < len(r); i++ {
		if c := r[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(r)
		}
	}
	return r
}

// libraryNormalize is the reference: libphonenumber end to end. s is
// trimmed and non-empty, region canonical.
func libraryNormalize(s, region string, mobileOnly bool) (string, error) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		if errors.Is(err, phonenumbers.ErrInvalidCountryCode) {
			return "", ErrNoRegion
		}
		return "", fmt.Errorf("%w (%v)", ErrUnparseable, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", ErrInvalid
	}
	if mobileOnly && !isMobileType(phonenumbers.GetNumberType(num)) {
		return "", ErrNotMobile
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func isMobileType(t phonenumbers.PhoneNumberType) bool {
	return t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE
}
