package job

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// SeedsFlags are jobs/seeds' flags.
type SeedsFlags struct {
	Config      *string
	Advertiser  *string
	List        *string
	In          *string
	PhoneColumn *string
	Format      *string
	Country     *string
	Store       *string
}

// RegisterSeedsFlags defines jobs/seeds' flags on the process's flag set.
func RegisterSeedsFlags() *SeedsFlags {
	const list, store = "The seed list", "The seed store"
	f := &SeedsFlags{
		Advertiser:  flag.String(own(list, "advertiser"), "", "the advertiser's id (required): its namespace in the seed store"),
		List:        flag.String(own(list, "list"), "", "the seed list's id (required)"),
		In:          flag.String(own(list, "in"), "", "the seed list CSV (required)"),
		PhoneColumn: flag.String(own(list, "phone-column"), "", "the phone column's header (default: phone, mobile, msisdn, … or the first column without a header)"),
		Format:      flag.String(own(list, "format"), "auto", "how phones are written: auto (per row), plain or sha256"),
		Country:     flag.String(own(list, "country"), "", "ISO country of national numbers in rows without a country column"),
		Config:      flag.String(own(store, "config"), "", "YAML config: seed_store and min_seeds (default: sosie-seeds, 100)"),
		Store:       flag.String(own(store, "store"), "", "the seed store directory (overrides seed_store)"),
	}
	setUsage("seeds", false)
	return f
}

// SeedsReport is jobs/seeds' match-readiness report: what the check of a
// seed list found, whether it can be used, and where it is stored. It
// holds counts and row numbers only, never a phone or a hash.
type SeedsReport struct {
	Advertiser string `json:"advertiser_id"`
	List       string `json:"seed_list_id"`
	Input      string `json:"input"`
	features.SeedReadiness
	MinSeeds int    `json:"min_seeds"`
	Ready    bool   `json:"ready"`
	Problem  string `json:"problem,omitempty"`
	Stored   string `json:"stored,omitempty"` // the hashed list in the seed store
	// StillStored, for a refused list, is the list stored before, which
	// stays in use (its report is readiness.json beside it).
	StillStored string `json:"still_stored,omitempty"`
}

// ErrNotReady says a seed list cannot be used.
var ErrNotReady = errors.New("the seed list cannot be used")

// RunSeeds runs jobs/seeds: it checks an advertiser's seed CSV, writes
// the readiness report (JSON and text) into the list's namespace and
// prints it, and, when the list can be used, stores it there as SHA-256
// hashes only, ready for matching. Exit codes as the other jobs:
// ExitBadInput when the list cannot be used.
func RunSeeds(ctx context.Context, log zerolog.Logger, stdout io.Writer, f *SeedsFlags) (int, error) {
	cfg := configs.Default()
	if *f.Config != "" {
		c, err := configs.Load(*f.Config)
		if err != nil {
			return ExitBadInput, err
		}
		cfg = c
	}
	if *f.Store != "" {
		cfg.SeedStore = *f.Store
	}
	var bad []string
	for name, v := range map[string]string{"--advertiser": *f.Advertiser, "--list": *f.List} {
		if !configs.SafeName(v) {
			bad = append(bad, fmt.Sprintf("%s %q: want a name without spaces, dots or slashes", name, v))
		}
	}
	if *f.In == "" {
		bad = append(bad, "--in: the seed list CSV is required")
	}
	format, err := features.ParseSeedFormat(*f.Format)
	if err != nil {
		bad = append(bad, "--format: "+err.Error())
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return ExitBadInput, errors.New(strings.Join(bad, "; "))
	}
	if err := pipelines.CheckFormats("--in", []string{*f.In}, pipelines.CSV, pipelines.TSV, pipelines.Text); err != nil {
		return ExitBadInput, err
	}
	in, err := pipelines.OpenInput(ctx, *f.In)
	if err != nil {
		return ExitBadInput, err
	}
	defer in.Close()

	rep := SeedsReport{Advertiser: *f.Advertiser, List: *f.List, Input: *f.In, MinSeeds: cfg.MinSeeds}
	dir := configs.JoinPath(cfg.SeedNamespace(rep.Advertiser), rep.List)
	// Hashes are kept in memory and stored only when the list is ready: a
	// failed check leaves the stored list as it was.
	var hashed bytes.Buffer
	hashed.WriteString("phone,value\n")

	r := features.NewSeedCSVReader(in)
	r.PhoneColumn = *f.PhoneColumn
	var check features.SeedChecker
	country := strings.ToUpper(*f.Country)
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ExitBadInput, fmt.Errorf("%s: %w", *f.In, err)
		}
		if h, ok := check.Add(row, country, format); ok {
			fmt.Fprintf(&hashed, "%s,%s\n", h, strconv.FormatFloat(row.Value, 'g', -1, 64))
		}
	}
	check.Finish(r)
	rep.SeedReadiness = check.Readiness
	switch {
	case rep.Rows == 0:
		rep.Problem = "the file has no data row"
	case rep.Valid < rep.MinSeeds:
		rep.Problem = fmt.Sprintf("%d valid distinct phones, under the minimum of %d", rep.Valid, rep.MinSeeds)
	default:
		rep.Ready = true
	}
	write := func(path string, b []byte) error {
		return fileio.WriteFile(ctx, path, func(w *bufio.Writer) error { _, err := w.Write(b); return err })
	}
	// The readiness report describes the stored list; a refused
	// resubmission gets a report of its own and leaves the stored list,
	// and its report, as they were.
	report := "readiness"
	if rep.Ready {
		rep.Stored = cfg.StoredSeedList(rep.Advertiser, rep.List)
		if err := write(rep.Stored, hashed.Bytes()); err != nil {
			return ExitFailed, err
		}
	} else {
		report = "refused"
		if fileio.StatFile(ctx, cfg.StoredSeedList(rep.Advertiser, rep.List)) == nil {
			rep.StillStored = cfg.StoredSeedList(rep.Advertiser, rep.List)
		}
	}
	var text strings.Builder
	rep.Print(&text)
	b, _ := json.MarshalIndent(rep, "", "  ")
	for _, f := range []struct {
		name    string
		content []byte
	}{{report + ".json", append(b, '\n')}, {report + ".txt", []byte(text.String())}} {
		if err := write(configs.JoinPath(dir, f.name), f.content); err != nil {
			return ExitFailed, err
		}
	}
	fmt.Fprint(stdout, text.String())
	fmt.Fprintf(stdout, "report: %s\n", configs.JoinPath(dir, report+".json"))
	log.Info().Str("advertiser", rep.Advertiser).Str("seed_list", rep.List).Int("rows", rep.Rows).Int("valid", rep.Valid).
		Int("duplicates", rep.Duplicates).Bool("ready", rep.Ready).Msg("seed list checked")
	if !rep.Ready {
		return ExitBadInput, fmt.Errorf("seed list %s of advertiser %s (%s): %w: %s", rep.List, rep.Advertiser, *f.In, ErrNotReady, rep.Problem)
	}
	return ExitOK, nil
}

// Print writes the report for the advertiser to read.
func (r *SeedsReport) Print(w io.Writer) {
	verdict := "ready for matching"
	if !r.Ready {
		verdict = "NOT usable: " + r.Problem
	}
	fmt.Fprintf(w, "Seed list %s of advertiser %s: %s\n", r.List, r.Advertiser, verdict)
	fmt.Fprintf(w, "  lines         %d = %d header + %d blank + %d rows\n", r.Lines, r.Header, r.Blank, r.Rows)
	if len(r.Columns) > 0 {
		fmt.Fprintf(w, "  columns       %s\n", strings.Join(r.Columns, ", "))
	} else if r.Rows > 0 {
		fmt.Fprintf(w, "  columns       no header: the phone is the first column\n")
	}
	if r.HeaderNote != "" {
		fmt.Fprintf(w, "  note          %s\n", r.HeaderNote)
	}
	if r.Encoding != "" && r.Encoding != features.UTF8 {
		fmt.Fprintf(w, "  encoding      %s, read as UTF-8\n", r.Encoding)
	}
	if r.Recoded > 0 {
		fmt.Fprintf(w, "  encoding      %d lines were not UTF-8 and were read as Latin-1 (Windows-1252)\n", r.Recoded)
	}
	fmt.Fprintf(w, "  valid         %d distinct phones (%d plain, %d SHA-256; minimum %d)\n", r.Valid, r.ByFormat[features.SeedPlain], r.ByFormat[features.SeedSHA256], r.MinSeeds)
	if r.WithValue > 0 {
		fmt.Fprintf(w, "  with a value  %d\n", r.WithValue)
	}
	fmt.Fprintf(w, "  duplicates    %d\n", r.Duplicates)
	rows := func(rr *features.RejectRows) string {
		s := make([]string, len(rr.FirstRows))
		for i, n := range rr.FirstRows {
			s[i] = strconv.Itoa(n)
		}
		more := ""
		if rr.Count > len(rr.FirstRows) {
			more = ", …"
		}
		return "rows " + strings.Join(s, ", ") + more
	}
	for _, reason := range slices.Sorted(maps.Keys(r.Rejected)) {
		where := "in the phone column"
		if reason == features.ReasonBadQuote {
			where = "the line's quotes do not pair up"
		}
		fmt.Fprintf(w, "  rejected      %d %s, %s (%s)\n", r.Rejected[reason].Count, reason, where, rows(r.Rejected[reason]))
	}
	for _, col := range slices.Sorted(maps.Keys(r.Ignored)) {
		fmt.Fprintf(w, "  ignored       %d cells of column %s could not be read and were left out; their rows count (%s)\n", r.Ignored[col].Count, col, rows(r.Ignored[col]))
	}
	if r.Stored != "" {
		fmt.Fprintf(w, "  stored        %s (SHA-256 hashes only)\n", r.Stored)
	}
	if r.StillStored != "" {
		fmt.Fprintf(w, "  still in use  the list stored before, %s: this one was not stored\n", r.StillStored)
	}
}
