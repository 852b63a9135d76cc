package job

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features"
)

func seedsFlags(store, advertiser, list, in string) *SeedsFlags {
	s := func(v string) *string { return &v }
	return &SeedsFlags{Config: s(""), Advertiser: s(advertiser), List: s(list), In: s(in), PhoneColumn: s(""),
		Format: s("auto"), Country: s("FR"), Store: s(store)}
}

// messySeedList is a seed list as advertisers send them: a BOM, semicolons,
// CRLF, plain phones in several forms, hashes in both conventions, a
// duplicate across forms, bad rows; n good plain phones first.
func messySeedList(n int) (csv string, phones []string) {
	var b strings.Builder
	b.WriteString("\ufeffMobile;Country;Value\r\n")
	for i := range n {
		p := fmt.Sprintf("+3361234%04d", i)
		phones = append(phones, p)
		fmt.Fprintf(&b, "06 12 34 %02d %02d;FR;%d\r\n", i/100, i%100, 1+i%3)
	}
	h := features.HashPhone("+14155552671")
	fmt.Fprintf(&b, "%s;;\r\n", strings.ToUpper(h.PlusE164)) // hashed, Google's convention
	fmt.Fprintf(&b, "%s;;2\r\n", features.HashPhone("+14155552672").Digits)
	fmt.Fprintf(&b, "%s;;\r\n", features.HashPhone(phones[0]).Digits) // the first phone again, hashed
	b.WriteString("not a phone;FR;\r\n")                              // unparseable
	b.WriteString("06 12 34;;\r\n")                                   // invalid: too short
	b.WriteString(";FR;1\r\n")                                        // empty
	b.WriteString("+33612340001;FR;lots\r\n")                         // bad value
	return b.String(), phones
}

// TestSeedsJob: jobs/seeds reads a messy list, reports its readiness
// (counts and row numbers, never a phone) and stores it as SHA-256
// hashes only in the advertiser's namespace; a list under the minimum is
// refused and not stored.
func TestSeedsJob(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	in := filepath.Join(dir, "customers.csv")
	csv, phones := messySeedList(120)
	os.WriteFile(in, []byte(csv), 0o600)
	var stdout bytes.Buffer
	code, err := RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags(store, "acme", "customers", in))
	if code != ExitOK || err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, stdout.String())
	}
	var rep SeedsReport
	b, err := os.ReadFile(filepath.Join(store, "acme", "customers", "readiness.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	rejected := map[features.Reason]int{}
	for r, rr := range rep.Rejected {
		rejected[r] = rr.Count
	}
	if rep.Lines != 128 || rep.Header != 1 || rep.Rows != 127 || rep.Valid != 122 || rep.Duplicates != 2 || rep.ByFormat[features.SeedPlain] != 120 || rep.ByFormat[features.SeedSHA256] != 2 ||
		rejected[features.ReasonUnparseable] != 1 || rejected[features.ReasonInvalid] != 1 || rejected[features.ReasonEmpty] != 1 ||
		len(rejected) != 3 || rep.Ignored["Value"] == nil || rep.Ignored["Value"].FirstRows[0] != 128 || !rep.Ready || rep.WithValue != 81 {
		t.Errorf("readiness %+v, rejected %v", rep, rejected)
	}
	if rr := rep.Rejected[features.ReasonUnparseable]; rr == nil || len(rr.FirstRows) != 1 || rr.FirstRows[0] != 125 {
		t.Errorf("the unparseable row is not named by its line (125): %+v", rr)
	}
	for _, want := range []string{"ready for matching", "122 distinct phones (120 plain, 2 SHA-256", "1 unparseable, in the phone column (rows 125)",
		"128 = 1 header + 0 blank + 127 rows", "Mobile, Country, Value", "1 cells of column Value could not be read", "SHA-256 hashes only"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the printed report lacks %q:\n%s", want, stdout.String())
		}
	}
	// Stored: a header and one SHA-256 per valid distinct phone, nothing else.
	stored, err := os.ReadFile(filepath.Join(store, "acme", "customers", "seeds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(stored)), "\n")
	row := regexp.MustCompile(`^[0-9a-f]{64},[0-9.]+$`)
	for _, l := range lines[1:] {
		if !row.MatchString(l) {
			t.Fatalf("stored row %q is not a hash and a value", l)
		}
	}
	if lines[0] != "phone,value" || len(lines)-1 != rep.Valid || !strings.Contains(string(stored), features.HashPhone(phones[7]).PlusE164) {
		t.Errorf("stored %d rows, want %d hashes with the header", len(lines)-1, rep.Valid)
	}
	for _, f := range []string{"seeds.csv", "readiness.json", "readiness.txt"} {
		b, _ := os.ReadFile(filepath.Join(store, "acme", "customers", f))
		for _, p := range phones {
			if bytes.Contains(b, []byte(p)) || bytes.Contains(b, []byte(p[1:])) {
				t.Fatalf("%s holds a plain phone", f)
			}
		}
	}

	// Under the minimum: exit 2, a clear message, nothing stored, the
	// earlier list untouched.
	small, _ := messySeedList(30)
	os.WriteFile(in, []byte(small), 0o600)
	stdout.Reset()
	code, err = RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags(store, "acme", "customers", in))
	if code != ExitBadInput || !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "32 valid distinct phones, under the minimum of 100") {
		t.Errorf("a list of 32: exit %d, %v", code, err)
	}
	if again, _ := os.ReadFile(filepath.Join(store, "acme", "customers", "seeds.csv")); !bytes.Equal(again, stored) {
		t.Error("a refused list replaced the stored one")
	}
	if !strings.Contains(stdout.String(), "NOT usable") || !strings.Contains(stdout.String(), "still in use") {
		t.Errorf("the printed report does not say the list is unusable and the stored one still in use:\n%s", stdout.String())
	}
	if b, _ := os.ReadFile(filepath.Join(store, "acme", "customers", "readiness.txt")); !strings.Contains(string(b), "ready for matching") {
		t.Errorf("a refused resubmission replaced the stored list's report:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(store, "acme", "customers", "refused.txt")); !strings.Contains(string(b), "NOT usable") {
		t.Errorf("the refused list's report:\n%s", b)
	}

	// A header without a phone column, and bad names, are refused up front.
	os.WriteFile(in, []byte("email,value\nx@y.fr,2\n"), 0o600)
	if code, err := RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags(store, "acme", "customers", in)); code != ExitBadInput ||
		!errors.Is(err, features.ErrSeedHeader) || !strings.Contains(err.Error(), in) {
		t.Errorf("no phone column: exit %d, %v", code, err)
	}
	if code, err := RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags(store, "../rival", "customers", in)); code != ExitBadInput ||
		!strings.Contains(fmt.Sprint(err), "--advertiser") {
		t.Errorf("an advertiser id with a path: exit %d, %v", code, err)
	}
}

// TestAdvertiserNamespaces: an advertiser's run reads only its own seed
// lists, from its namespace, and writes in its own output directory; a
// list in another advertiser's namespace is refused before any work.
func TestAdvertiserNamespaces(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	in := filepath.Join(dir, "customers.csv")
	csv, _ := messySeedList(110)
	os.WriteFile(in, []byte(csv), 0o600)
	for _, adv := range []string{"acme", "rival"} {
		if code, err := RunSeeds(context.Background(), zerolog.Nop(), &bytes.Buffer{}, seedsFlags(store, adv, "customers", in)); code != ExitOK {
			t.Fatal(err)
		}
	}
	config := func(extra string) string {
		cfg := filepath.Join(dir, "sosie.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("seed_store: %s\noutput: %s\nseed_lists:\n%s", store, filepath.Join(dir, "out"), extra)), 0o600)
		return cfg
	}
	load := func(cfgPath, advertiser string) (*Flags, error) {
		f := testFlags("", 0)
		*f.Config, f.Advertiser = cfgPath, &advertiser
		cfg, err := f.Load()
		if err != nil {
			return nil, err
		}
		_, err = SeedLists(cfg)
		if err == nil && advertiser != "" {
			if len(cfg.SeedLists) != 1 || cfg.SeedLists[0].Advertiser != advertiser || cfg.RunOutput() != filepath.Join(dir, "out", "advertisers", advertiser) ||
				!strings.HasSuffix(cfg.RunID, "@"+advertiser) {
				t.Errorf("%s's run: lists %+v, output %s, run id %s", advertiser, cfg.SeedLists, cfg.RunOutput(), cfg.RunID)
			}
		}
		return f, err
	}
	both := config("  - {id: customers, advertiser: acme}\n  - {id: theirs, advertiser: rival, file: " + filepath.Join(store, "rival", "customers", "seeds.csv") + "}\n")
	if _, err := load(both, "acme"); err != nil {
		t.Errorf("acme's run of a config with rival's list too: %v", err)
	}
	if _, err := load(both, "rival"); err != nil {
		t.Errorf("rival's run: %v", err)
	}
	if _, err := load(both, "nobody"); err == nil {
		t.Error("a run for an advertiser with no list passed")
	}
	for name, list := range map[string]string{
		"another's namespace":  "  - {id: stolen, advertiser: acme, file: " + filepath.Join(store, "rival", "customers", "seeds.csv") + "}\n",
		"outside the store":    "  - {id: loose, advertiser: acme, file: " + in + "}\n",
		"a table in a run":     "  - {id: t, advertiser: acme, table: d.seeds}\nsource: {bigquery: {project: p}}\n",
		"a symlink to another": "  - {id: link, advertiser: acme, file: " + symlink(t, filepath.Join(store, "rival", "customers", "seeds.csv"), filepath.Join(store, "acme", "link.csv")) + "}\n",
	} {
		_, err := load(config(list), "acme")
		if !errors.Is(err, ErrNamespace) {
			t.Errorf("%s: %v, want ErrNamespace", name, err)
		}
	}
	// Without an advertiser, a list outside the store is the operator's
	// own file; one in the store must still be its advertiser's.
	if _, err := load(config("  - {id: loose, advertiser: acme, file: "+in+"}\n"), ""); err != nil {
		t.Errorf("an operator's file outside the store: %v", err)
	}
	if _, err := load(config("  - {id: stolen, advertiser: acme, file: "+filepath.Join(store, "rival", "customers", "seeds.csv")+"}\n"), ""); !errors.Is(err, ErrNamespace) {
		t.Errorf("another's list in an operator's run: %v", err)
	}
}

func symlink(t *testing.T, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestSeedListsAsAdvertisersSendThem: jobs/seeds reads the lists
// advertisers export — other encodings, separators, decimal commas,
// localized or unknown headers, compression — accounts for every line
// and says plainly what it did with each, or refuses the list naming why.
func TestSeedListsAsAdvertisersSendThem(t *testing.T) {
	plain, _ := messySeedList(110)
	rows := func(header, sep string, value func(i int) string) string {
		var b strings.Builder
		b.WriteString(header + "\n")
		for i := range 110 {
			fmt.Fprintf(&b, "06 12 34 %02d %02d%s%s\n", i/100, i%100, sep, value(i))
		}
		return b.String()
	}
	latin1 := func(s string) []byte {
		var out []byte
		for _, r := range s {
			out = append(out, byte(r))
		}
		return out
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain))
	zw.Close()
	for _, tc := range []struct {
		name, file string
		body       []byte
		code       int
		says       []string // in the printed report, or the error
	}{
		{"decimal commas with semicolons", "a.csv", []byte(rows("phone;value", ";", func(i int) string { return fmt.Sprintf("%d,50", i) })), ExitOK,
			[]string{"ready for matching", "with a value  110", "columns       phone, value"}},
		{"UTF-16 with a byte-order mark", "b.csv", utf16LE(plain), ExitOK, []string{"ready for matching", "utf-16le, read as UTF-8"}},
		{"Latin-1 with a French header", "c.csv", latin1(rows("téléphone;pays", ";", func(int) string { return "FR" })), ExitOK,
			[]string{"ready for matching", "110 distinct phones", "read as Latin-1"}},
		{"gzip", "d.csv.gz", gz.Bytes(), ExitOK, []string{"ready for matching", "112 distinct phones"}},
		{"a one-column list under an unknown header", "e.txt", []byte(rows("customers", "", func(int) string { return "" })), ExitOK,
			[]string{"ready for matching", `the first line, "customers", was read as a row`, "1 unparseable"}},
		{"an unknown header of several columns", "f.csv", []byte(rows("customer_phone,spend", ",", func(int) string { return "1" })), ExitBadInput,
			[]string{`"customer_phone", "spend"`, "no phone column"}},
		{"a stray quote", "g.csv", []byte(strings.Replace(plain, "06 12 34 00 05", `"06 12 34 00 05`, 1)), ExitOK,
			[]string{"1 bad_quote, the line's quotes do not pair up (rows 7)", "lines         118 = 1 header + 0 blank + 117 rows"}},
		{"values that are no numbers", "h.csv", []byte(rows("phone,value", ",", func(i int) string { return []string{"12.5", "lots", "+33612345678"}[i%3] })), ExitOK,
			[]string{"ready for matching", "73 cells of column value could not be read and were left out"}},
		{"an unknown extension", "i.xlsx", []byte(plain), ExitBadInput, []string{"i.xlsx", "unknown file extension"}},
		{"an empty file", "j.csv", nil, ExitBadInput, []string{"the file has no data row"}},
		{"a header only", "k.csv", []byte("phone,value\n"), ExitBadInput, []string{"the file has no data row"}},
		{"a binary file", "l.csv", []byte("phone\n\x00\x01\x02\n"), ExitBadInput, []string{"l.csv", "line 2", "NUL byte"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.file)
			os.WriteFile(in, tc.body, 0o600)
			var stdout bytes.Buffer
			code, err := RunSeeds(context.Background(), zerolog.Nop(), &stdout, seedsFlags(filepath.Join(dir, "store"), "acme", "l", in))
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tc.code, stdout.String())
			}
			said := stdout.String() + fmt.Sprint(err)
			for _, s := range tc.says {
				if !strings.Contains(said, s) {
					t.Errorf("%q not said:\n%s", s, said)
				}
			}
		})
	}
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}
