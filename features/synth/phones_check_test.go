package synth

import (
	"testing"

	"github.com/sosie-dev/sosie/features"
)

// TestPhonesAreValidMobiles checks every prefix and style of every country
// against libphonenumber: the world's clean numbers are valid mobiles, in
// every way it writes them.
func TestPhonesAreValidMobiles(t *testing.T) {
	n := features.PhoneNormalizer{MobileOnly: true}
	for i := range countries {
		c := &countries[i]
		seen := map[string]bool{}
		bad := 0
		for k := uint64(0); k < 3000; k++ {
			nsn := c.nsn(k * 7919)
			if seen[nsn] {
				t.Fatalf("%s: number %d repeats", c.code, k)
			}
			seen[nsn] = true
			want := "+" + c.cc + nsn
			for style := range numStyles {
				for _, sep := range []string{" ", ".", "-"} {
					raw := c.format(nsn, style, sep)
					got, err := n.Normalize(raw, c.code)
					if got != want {
						bad++
						if bad < 10 {
							t.Errorf("%s style %d: %q -> %q, %v; want %s", c.code, style, raw, got, err, want)
						}
					}
				}
			}
		}
	}
}
