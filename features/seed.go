package features

import "strings"

// SeedID is what one seed-list row identifies a customer by: a normalized
// phone, or an advertiser's SHA-256 of one (convention not yet known).
type SeedID struct {
	E164 string // set for a plain phone
	Hash string // set for a hashed phone: 64 lower-case hex characters
}

// ReadSeedPhone reads a seed list's phone cell: a SHA-256 hex digest when it
// has that shape (LooksHashed), else a phone normalized with country (the
// row's country, or the list's). The error carries the rejection reason.
func ReadSeedPhone(cell, country string) (SeedID, error) {
	if LooksHashed(cell) {
		h, err := ParseSHA256Hex(cell)
		return SeedID{Hash: h}, err
	}
	e164, err := NormalizeListPhone(cell, country)
	if err != nil {
		return SeedID{}, err
	}
	return SeedID{E164: e164}, nil
}

// NormalizeListPhone is NormalizePhone for the phones of advertisers'
// and opt-out lists, which CRMs often export as digits with the country
// code and no + (33612345678, Meta's hashing form): a number that is not
// valid as a national number of country, or has no country, and whose
// digits alone (11 to 15 of them) make a valid international number, is
// read as that.
func NormalizeListPhone(cell, country string) (string, error) {
	e164, err := NormalizePhone(cell, country)
	if err == nil {
		return e164, nil
	}
	digits := strings.TrimSpace(cell)
	if len(digits) < 11 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" || digits[0] == '0' {
		return "", err
	}
	if intl, ierr := NormalizePhone("+"+digits, ""); ierr == nil {
		return intl, nil
	}
	return "", err
}
