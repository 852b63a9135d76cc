package features_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sosie-dev/sosie/features"
)

// Phones as people type them become E.164, read in the account's country
// when they are national; a rejection says why, never what.
func ExampleNormalizePhone() {
	for _, raw := range []string{"06 12 34 56 78", "+44 7400 123456", "(415) 555-2671", "0612"} {
		e164, err := features.NormalizePhone(raw, "FR")
		if err != nil {
			fmt.Printf("%-16q rejected: %s\n", raw, features.ReasonOf(err))
			continue
		}
		fmt.Printf("%-16q %s\n", raw, e164)
	}
	_, err := features.NormalizePhone("(415) 555-2671", "US")
	fmt.Println(errors.Is(err, features.ErrInvalid))
	// Output:
	// "06 12 34 56 78" +33612345678
	// "+44 7400 123456" +447400123456
	// "(415) 555-2671" rejected: invalid
	// "0612"           rejected: invalid
	// false
}

// Advertisers hash phones in one of two conventions; both name the same
// person.
func ExampleHashPhone() {
	h := features.HashPhone("+33612345678")
	fmt.Println(h.PlusE164[:16], h.Digits[:16])
	// Output: 42d573cfc315801d 8a3e7886c9335e82
}

// A seed list as a CRM exports it: semicolons, a decimal comma, a bad
// value left out while its row counts, a stray quote that spoils its own
// line only.
func ExampleSeedCSVReader() {
	r := features.NewSeedCSVReader(strings.NewReader("Mobile;Country;Value\n06 12 34 56 78;FR;12,50\n\"+33698765432;FR;1\n+447400123456;GB;lots\n"))
	rows, _ := r.ReadAll()
	for _, row := range rows {
		if row.Err != nil {
			fmt.Printf("line %d: rejected, %s\n", row.Line, features.ReasonOf(row.Err))
			continue
		}
		fmt.Printf("line %d: %s in %s, value %g, cells left out %v\n", row.Line, row.Phone, row.Country, row.Value, row.Ignored)
	}
	st := r.Stats()
	fmt.Printf("%d lines = %d header + %d blank + %d rows\n", st.Lines, st.Header, st.Blank, st.Read)
	// Output:
	// line 2: 06 12 34 56 78 in FR, value 12.5, cells left out []
	// line 3: rejected, bad_quote
	// line 4: +447400123456 in GB, value 1, cells left out [Value]
	// 4 lines = 1 header + 0 blank + 3 rows
}
