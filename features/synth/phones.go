package synth

import (
	"strings"
)

// nsn returns the k-th national significant number of c: distinct for
// distinct k up to the country's capacity, spread over its prefixes.
func (c *country) nsn(k uint64) string {
	capacity, offset := pow10(c.tail), uint64(0)
	if c.code == "US" { // NANP exchanges start with 2-9
		capacity, offset = 8*pow10(c.tail-1), 2*pow10(c.tail-1)
	}
	p := c.prefixes[k%uint64(len(c.prefixes))]
	j := k / uint64(len(c.prefixes))
	// An affine bijection modulo the capacity (the multiplier is coprime
	// with 10, so with every capacity here) scatters consecutive persons
	// over the range.
	t := (j%capacity*2654435761+1234567891)%capacity + offset
	var b strings.Builder
	b.Grow(len(p) + c.tail)
	b.WriteString(p)
	digits := make([]byte, c.tail)
	for i := c.tail - 1; i >= 0; i-- {
		digits[i] = byte('0' + t%10)
		t /= 10
	}
	b.Write(digits)
	return b.String()
}

// capacity is how many distinct numbers nsn can give.
func (c *country) capacity() uint64 {
	n := pow10(c.tail)
	if c.code == "US" {
		n = 8 * pow10(c.tail-1)
	}
	return n * uint64(len(c.prefixes))
}

func pow10(n int) uint64 {
	v := uint64(1)
	for range n {
		v *= 10
	}
	return v
}

// phoneStyle is one way people write a phone number.
type phoneStyle int

const (
	styleNational      phoneStyle = iota // 06 12 34 56 78
	styleNationalPlain                   // 0612345678
	styleInternational                   // +33 6 12 34 56 78
	styleE164                            // +33612345678
	styleDoubleZero                      // 0033612345678
	styleTrunkInParens                   // +33 (0)6 12 34 56 78
	styleNoPlus                          // 33612345678
	numStyles
)

// format writes nsn of c in style with separator sep (" ", ".", "-").
func (c *country) format(nsn string, style phoneStyle, sep string) string {
	grouped := func() string {
		var parts []string
		i := 0
		for _, g := range c.groups {
			if i+g > len(nsn) {
				break
			}
			parts = append(parts, nsn[i:i+g])
			i += g
		}
		if i < len(nsn) {
			parts = append(parts, nsn[i:])
		}
		if c.code == "US" && sep == " " {
			return "(" + parts[0] + ") " + parts[1] + "-" + strings.Join(parts[2:], "")
		}
		return strings.Join(parts, sep)
	}
	trunk := c.trunk
	if c.code == "US" {
		trunk = "" // Americans rarely dial the 1 at home
	}
	switch style {
	case styleNational:
		return trunk + grouped()
	case styleNationalPlain:
		return trunk + nsn
	case styleInternational:
		return "+" + c.cc + " " + grouped()
	case styleE164:
		return "+" + c.cc + nsn
	case styleDoubleZero:
		return c.idd + c.cc + nsn
	case styleTrunkInParens:
		if c.trunk == "" || c.code == "US" {
			return "+" + c.cc + " " + grouped()
		}
		return "+" + c.cc + " (" + c.trunk + ")" + grouped()
	default: // styleNoPlus
		if !c.noPlus {
			return "+" + c.cc + nsn
		}
		return c.cc + nsn
	}
}
