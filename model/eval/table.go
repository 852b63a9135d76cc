// Package eval measures sosie's lookalike models on labelled tables:
// ReadTable reads a CSV table into features (categorical columns one-hot,
// numeric ones with quantile bins), and RunProtocol runs the seed-list
// protocol on it — for each seed size and repeat, a random list of
// positives as seeds, a model fitted against a population sample, every
// other row scored and checked against its true label. jobs/evaluate is
// its command line.
package eval

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// TableOptions says how to read a labelled CSV table into features. The
// zero value, with Label and Positive set, reads a comma-separated file with
// a header, one-hot encodes every column that is not numeric and keeps
// numeric columns as they are.
type TableOptions struct {
	Comma       rune     // field separator; 0 means ','
	NoHeader    bool     // the first row is data; columns are named c0, c1, ...
	Label       string   // the label column (required)
	Positive    string   // the label value of a positive row (required)
	Drop        []string // columns to ignore
	Categorical []string // columns to one-hot encode even if they look numeric
	// Bins adds, for every numeric column with more than Bins distinct
	// values, a one-hot encoding of its quantile bin, so a linear model
	// can follow a non-linear effect (age, balance). 0: none.
	Bins int
	// ModeFlags adds, for every numeric column whose most frequent value
	// holds at least 10 % of the rows, a 0/1 flag for that value: a
	// sentinel such as pdays = −1, "never contacted", then stands apart
	// from the numbers it is not.
	ModeFlags bool
	// Gaussianize replaces each numeric value by its normal score,
	// Φ⁻¹ of its mid-rank quantile (ties share one score), so heavy tails
	// (a balance of millions, a hundred calls) do not drown the other
	// features in a distance or a mean. Order is kept; bins and flags are
	// computed on the original values.
	Gaussianize bool
}

// Table is a labelled feature matrix.
type Table struct {
	Names []string   // feature names, in column order
	X     *mat.Dense // one row per data row
	Label []float64  // 1 for a positive row, else 0
}

// ErrTable is wrapped by ReadTable's errors about the data.
var ErrTable = errors.New("model: bad table")

// ReadTable reads a CSV table. Errors name the line and column.
func ReadTable(r io.Reader, opt TableOptions) (*Table, error) {
	if opt.Label == "" || opt.Positive == "" {
		return nil, fmt.Errorf("%w: the label column and its positive value are required", ErrTable)
	}
	cr := csv.NewReader(r)
	if opt.Comma != 0 {
		cr.Comma = opt.Comma
	}
	cr.ReuseRecord = false
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTable, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrTable)
	}
	var header []string
	if opt.NoHeader {
		for i := range records[0] {
			header = append(header, "c"+strconv.Itoa(i))
		}
	} else {
		header = records[0]
		records = records[1:]
		for i, h := range header {
			header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		}
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: a header and no data", ErrTable)
	}
	col := func(name string) int { return slices.Index(header, name) }
	labelCol := col(opt.Label)
	if labelCol < 0 {
		return nil, fmt.Errorf("%w: no label column %q (columns: %s)", ErrTable, opt.Label, strings.Join(header, ", "))
	}
	for _, d := range append(slices.Clone(opt.Drop), opt.Categorical...) {
		if col(d) < 0 {
			return nil, fmt.Errorf("%w: no column %q (columns: %s)", ErrTable, d, strings.Join(header, ", "))
		}
	}
	t := &Table{Label: make([]float64, len(records))}
	positives := 0
	for i, rec := range records {
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrTable, lineOf(i, opt), len(rec), len(header))
		}
		if strings.TrimSpace(rec[labelCol]) == opt.Positive {
			t.Label[i] = 1
			positives++
		}
	}
	if positives == 0 {
		return nil, fmt.Errorf("%w: no row has %s = %q", ErrTable, opt.Label, opt.Positive)
	}

	var encs []encoding
	for c, name := range header {
		if c == labelCol || slices.Contains(opt.Drop, name) {
			continue
		}
		vals := make([]string, len(records))
		for i, rec := range records {
			vals[i] = strings.TrimSpace(rec[c])
		}
		nums, numeric := parseNumbers(vals)
		if numeric && !slices.Contains(opt.Categorical, name) {
			encs = append(encs, numericEncoding(name, nums, opt))
			continue
		}
		levels := map[string]int{}
		var names []string
		for _, v := range vals {
			if _, ok := levels[v]; !ok {
				levels[v] = 0
				names = append(names, v)
			}
		}
		sort.Strings(names)
		for i, v := range names {
			levels[v] = i
		}
		fnames := make([]string, len(names))
		for i, v := range names {
			fnames[i] = name + "=" + v
		}
		encs = append(encs, encoding{fnames, func(row int, dst []float64) { dst[levels[vals[row]]] = 1 }})
	}
	for _, e := range encs {
		t.Names = append(t.Names, e.names...)
	}
	if len(t.Names) == 0 {
		return nil, fmt.Errorf("%w: no feature column left", ErrTable)
	}
	t.X = mat.NewDense(len(records), len(t.Names), nil)
	for i := range records {
		row := t.X.RawRowView(i)
		off := 0
		for _, e := range encs {
			e.values(i, row[off:off+len(e.names)])
			off += len(e.names)
		}
	}
	return t, nil
}

func lineOf(i int, opt TableOptions) int {
	if opt.NoHeader {
		return i + 1
	}
	return i + 2
}

// parseNumbers parses every non-empty value; numeric is false when one does
// not parse. Empty values become NaN.
func parseNumbers(vals []string) ([]float64, bool) {
	out := make([]float64, len(vals))
	for i, v := range vals {
		if v == "" {
			out[i] = math.NaN()
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

// encoding turns one source column into one or more feature columns.
type encoding struct {
	names  []string
	values func(row int, dst []float64) // writes the row's features into dst
}

// numericEncoding keeps the value (empty cells at the column mean, with a
// missing flag), and adds the mode flag and quantile bins asked for.
func numericEncoding(name string, nums []float64, opt TableOptions) encoding {
	var sum float64
	var n, missing int
	counts := map[float64]int{}
	for _, v := range nums {
		if math.IsNaN(v) {
			missing++
			continue
		}
		sum += v
		n++
		counts[v]++
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	names := []string{name}
	hasMissing := missing > 0
	value := func(v float64) float64 { return v }
	if opt.Gaussianize && len(counts) > 2 {
		value = normalScores(nums, counts, n)
		mean = 0
	}
	if hasMissing {
		names = append(names, name+"_missing")
	}
	var mode float64
	hasMode := false
	if opt.ModeFlags {
		best := 0
		for v, c := range counts {
			if c > best || (c == best && v < mode) {
				mode, best = v, c
			}
		}
		if best*10 >= len(nums) && len(counts) > 2 {
			hasMode = true
			names = append(names, fmt.Sprintf("%s=%g", name, mode))
		}
	}
	var cuts []float64
	if opt.Bins > 1 && len(counts) > opt.Bins {
		sorted := make([]float64, 0, n)
		for _, v := range nums {
			if !math.IsNaN(v) {
				sorted = append(sorted, v)
			}
		}
		slices.Sort(sorted)
		for b := 1; b < opt.Bins; b++ {
			c := sorted[b*len(sorted)/opt.Bins]
			if len(cuts) == 0 || c > cuts[len(cuts)-1] {
				cuts = append(cuts, c)
			}
		}
		for b := 0; b <= len(cuts); b++ {
			names = append(names, fmt.Sprintf("%s_bin%d", name, b))
		}
	}
	return encoding{names, func(row int, dst []float64) {
		v := nums[row]
		i := 1
		if math.IsNaN(v) {
			dst[0] = mean
			dst[1] = 1
		} else {
			dst[0] = value(v)
		}
		if hasMissing {
			i = 2
		}
		if hasMode {
			if v == mode {
				dst[i] = 1
			}
			i++
		}
		if len(cuts) > 0 && !math.IsNaN(v) {
			b := sort.SearchFloat64s(cuts, v)
			if b < len(cuts) && cuts[b] == v {
				b++ // a value equal to a cut belongs to the bin above it
			}
			dst[i+b] = 1
		}
	}}
}

// normalScores maps each distinct value to Φ⁻¹ of its mid-rank quantile
// among the n non-missing values.
func normalScores(nums []float64, counts map[float64]int, n int) func(float64) float64 {
	distinct := make([]float64, 0, len(counts))
	for v := range counts {
		distinct = append(distinct, v)
	}
	slices.Sort(distinct)
	score := make(map[float64]float64, len(distinct))
	below := 0
	for _, v := range distinct {
		c := counts[v]
		q := (float64(below) + float64(c)/2) / float64(n)
		score[v] = math.Sqrt2 * math.Erfinv(2*q-1)
		below += c
	}
	return func(v float64) float64 { return score[v] }
}
