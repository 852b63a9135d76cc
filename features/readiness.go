package features

import "slices"

// SeedReadiness is what checking a seed list found, before any matching:
// counts and row numbers, never a phone.
type SeedReadiness struct {
	Rows       int                    `json:"rows"`
	Valid      int                    `json:"valid"` // distinct phones, plain or hashed
	Duplicates int                    `json:"duplicates"`
	Rejected   map[Reason]*RejectRows `json:"rejected"`
	ByFormat   map[SeedFormat]int     `json:"valid_by_format"` // plain, sha256
	WithValue  int                    `json:"with_value"`      // valid rows with a value column other than 1
}

// RejectRows counts the rows rejected for one reason and keeps the first
// few row numbers, so the advertiser can find them in its file.
type RejectRows struct {
	Count     int   `json:"count"`
	FirstRows []int `json:"first_rows"`
}

// firstRejectRows is how many row numbers a RejectRows keeps.
const firstRejectRows = 5

// SeedChecker checks a seed list's rows one by one and turns each valid
// one into the SHA-256 it is stored as. Its zero value is ready.
type SeedChecker struct {
	Readiness SeedReadiness
	seen      map[string]bool
}

// Add checks one row read in format with the list's country (for rows
// without one). A valid phone that is not a duplicate comes back as its
// stored hash: SHA-256 of the E.164 form for a plain phone (the "+"
// convention), the advertiser's own hash (lower case) for a hashed one.
func (c *SeedChecker) Add(row SeedRow, country string, format SeedFormat) (hash string, ok bool) {
	r := &c.Readiness
	r.Rows++
	if row.Err != nil {
		c.reject(ReasonOf(row.Err), row.Line)
		return "", false
	}
	if row.Country != "" {
		country = row.Country
	}
	id, err := ParseSeedPhone(row.Phone, country, format)
	if err != nil {
		reason := ReasonOf(err)
		if reason == "" {
			reason = ReasonBadField
		}
		c.reject(reason, row.Line)
		return "", false
	}
	keys := []string{id.Hash}
	got := SeedSHA256
	if id.E164 != "" {
		h := HashPhone(id.E164)
		keys, got = []string{h.PlusE164, h.Digits}, SeedPlain
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if slices.ContainsFunc(keys, func(k string) bool { return c.seen[k] }) {
		r.Duplicates++
		return "", false
	}
	for _, k := range keys {
		c.seen[k] = true
	}
	r.Valid++
	if r.ByFormat == nil {
		r.ByFormat = map[SeedFormat]int{}
	}
	r.ByFormat[got]++
	if row.Value != 1 {
		r.WithValue++
	}
	return keys[0], true
}

func (c *SeedChecker) reject(reason Reason, line int) {
	r := &c.Readiness
	if r.Rejected == nil {
		r.Rejected = map[Reason]*RejectRows{}
	}
	rr := r.Rejected[reason]
	if rr == nil {
		rr = &RejectRows{}
		r.Rejected[reason] = rr
	}
	rr.Count++
	if len(rr.FirstRows) < firstRejectRows {
		rr.FirstRows = append(rr.FirstRows, line)
	}
}
