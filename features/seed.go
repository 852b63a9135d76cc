package features

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
	e164, err := NormalizePhone(cell, country)
	if err != nil {
		return SeedID{}, err
	}
	return SeedID{E164: e164}, nil
}
