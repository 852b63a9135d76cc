package features

import "slices"

// SeedReadiness is what checking a seed list found, before any matching:
// counts and row numbers, never a phone. Every line is accounted for:
// Lines = Header + Blank + Rows, and Rows = Valid + Duplicates + the
// rows rejected.
type SeedReadiness struct {
	Lines      int                    `json:"lines"`
	Header     int                    `json:"header"`
	Blank      int                    `json:"blank"`
	Columns    []string               `json:"columns,omitempty"`     // the header's, as written
	HeaderNote string                 `json:"header_note,omitempty"` // the first line looked like a header sosie does not know
	Encoding   Encoding               `json:"encoding,omitempty"`
	Recoded    int                    `json:"recoded_lines,omitempty"` // lines read as Windows-1252 (Latin-1)
	Rows       int                    `json:"rows"`
	Valid      int                    `json:"valid"` // distinct phones, plain or hashed
	Duplicates int                    `json:"duplicates"`
	Rejected   map[Reason]*RejectRows `json:"rejected"`
	ByFormat   map[SeedFormat]int     `json:"valid_by_format"` // plain, sha256
	WithValue  int                    `json:"with_value"`      // valid rows with a value column other than 1
	// Ignored counts, per optional column, the rows whose cell could not
	// be read (a country that is no ISO code, a value that is no number)
	// and was left out: the row counts without it.
	Ignored map[string]*RejectRows `json:"ignored,omitempty"`
}

// Finish records how the file's lines were read: its line counts,
// encoding and header, from the reader that read its rows.
func (c *SeedChecker) Finish(r *SeedCSVReader) {
	st := r.Stats()
	c.Readiness.Lines, c.Readiness.Header, c.Readiness.Blank = st.Lines, st.Header, st.Blank
	c.Readiness.Encoding, c.Readiness.Recoded, c.Readiness.Columns = st.Encoding, st.Recoded, r.Columns()
	c.Readiness.HeaderNote = r.HeaderNote()
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
	for _, col := range row.Ignored {
		if r.Ignored == nil {
			r.Ignored = map[string]*RejectRows{}
		}
		r.Ignored[col] = addRow(r.Ignored[col], row.Line)
	}
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
	r.Rejected[reason] = addRow(r.Rejected[reason], line)
}

func addRow(rr *RejectRows, line int) *RejectRows {
	if rr == nil {
		rr = &RejectRows{}
	}
	rr.Count++
	if len(rr.FirstRows) < firstRejectRows {
		rr.FirstRows = append(rr.FirstRows, line)
	}
	return rr
}
