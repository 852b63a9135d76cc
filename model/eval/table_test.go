package eval

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	// A BOM, CRLF line ends, ';' separators, a categorical column, a
	// numeric one with a gap, a column to drop.
	in := "\ufeffid;age;job;y\r\n1;30;admin;no\r\n2;;tech;yes\r\n3;50;admin;yes\r\n4;40;tech;no\r\n"
	tb, err := ReadTable(strings.NewReader(in), TableOptions{Comma: ';', Label: "y", Positive: "yes", Drop: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"age", "age_missing", "job=admin", "job=tech"}
	if !slices.Equal(tb.Names, wantNames) {
		t.Fatalf("names %v, want %v", tb.Names, wantNames)
	}
	if !slices.Equal(tb.Label, []float64{0, 1, 1, 0}) {
		t.Fatalf("labels %v", tb.Label)
	}
	// The gap is the column mean (40) with its missing flag set.
	want := [][]float64{{30, 0, 1, 0}, {40, 1, 0, 1}, {50, 0, 1, 0}, {40, 0, 0, 1}}
	for i, row := range want {
		if got := tb.X.RawRowView(i); !slices.Equal(got, row) {
			t.Errorf("row %d = %v, want %v", i, got, row)
		}
	}
}

func TestReadTableBinsFlagsGaussianize(t *testing.T) {
	var b strings.Builder
	b.WriteString("pdays,y\n")
	// pdays: -1 ("never") in 60 rows, then 1..40.
	for i := range 100 {
		v := -1
		if i >= 60 {
			v = i - 59
		}
		label := "n"
		if i%3 == 0 {
			label = "p"
		}
		b.WriteString(strconv.Itoa(v) + "," + label + "\n")
	}
	tb, err := ReadTable(strings.NewReader(b.String()), TableOptions{Label: "y", Positive: "p", Bins: 4, ModeFlags: true, Gaussianize: true})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Names[0] != "pdays" || tb.Names[1] != "pdays=-1" || !strings.HasPrefix(tb.Names[2], "pdays_bin") {
		t.Fatalf("names %v", tb.Names)
	}
	never, later := tb.X.RawRowView(0), tb.X.RawRowView(99)
	if never[1] != 1 || later[1] != 0 {
		t.Errorf("mode flag: %v / %v", never, later)
	}
	// Normal scores keep the order and centre near 0.
	if !(never[0] < later[0]) || math.Abs(never[0]) > 1 || later[0] < 1.5 {
		t.Errorf("normal scores %v, %v", never[0], later[0])
	}
	// Exactly one bin per row.
	for i := range 100 {
		row := tb.X.RawRowView(i)
		sum := 0.0
		for _, v := range row[2:] {
			sum += v
		}
		if sum != 1 {
			t.Fatalf("row %d bins %v", i, row[2:])
		}
	}
}

func TestReadTableErrors(t *testing.T) {
	cases := []struct {
		name, in string
		opt      TableOptions
		says     string
	}{
		{"no label option", "a,y\n1,yes\n", TableOptions{}, "label column"},
		{"no label column", "a,b\n1,2\n", TableOptions{Label: "y", Positive: "yes"}, `no label column "y"`},
		{"no positive", "a,y\n1,no\n", TableOptions{Label: "y", Positive: "yes"}, `no row has y = "yes"`},
		{"short line", "a,b,y\n1,2,yes\n3,no\n", TableOptions{Label: "y", Positive: "yes"}, "line 3"},
		{"drop unknown", "a,y\n1,yes\n", TableOptions{Label: "y", Positive: "yes", Drop: []string{"zz"}}, `no column "zz"`},
		{"empty", "", TableOptions{Label: "y", Positive: "yes"}, "no rows"},
		{"header only", "a,y\n", TableOptions{Label: "y", Positive: "yes"}, "no data"},
	}
	for _, tc := range cases {
		_, err := ReadTable(strings.NewReader(tc.in), tc.opt)
		if !errors.Is(err, ErrTable) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want ErrTable saying %q", tc.name, err, tc.says)
		}
	}
}
