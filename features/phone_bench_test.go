package features

import (
	"strings"
	"testing"
)

// benchPhones is a mix of the formats the synthetic world writes: national,
// international, 00-prefixed, with separators, and some dirt.
var benchPhones = []struct{ raw, region string }{
	{"06 12 34 56 78", "FR"}, {"+33 6 12 34 56 79", "FR"}, {"0033612345680", "FR"},
	{"0151 23456789", "DE"}, {"+49 151 23456788", "DE"}, {"07400 123456", "GB"},
	{"+44 7400 123457", "GB"}, {"(415) 555-2671", "US"}, {"+1 415-555-2672", "US"},
	{"098765 43210", "IN"}, {"+91 98765 43211", "IN"}, {"(11) 91234-5678", "BR"},
	{"0803 123 4567", "NG"}, {"0812-3456-7890", "ID"}, {"612 34 56 78", "ES"},
	{"312 345 6789", "IT"}, {"06 12 34", "FR"}, {"n/a", "FR"},
}

func BenchmarkNormalizePhone(b *testing.B) {
	b.Run("impl=sosie", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			p := benchPhones[i%len(benchPhones)]
			_, _ = NormalizePhone(p.raw, p.region)
		}
	})
	b.Run("impl=library", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			p := benchPhones[i%len(benchPhones)]
			_, _ = libraryNormalize(strings.TrimSpace(p.raw), p.region, false)
		}
	})
}
