package job

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/features/synth"
	"github.com/sosie-dev/sosie/pipelines"
)

// strongPepper is a pepper the jobs accept.
const strongPepper = "a test pepper, thirty-two bytes or more"

// badWorld is a small synthetic world shared by the bad-input cases: they
// read it and never change it (a case that needs a changed file writes its
// own).
func badWorld(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "world")
	if _, err := synth.Generate(synth.Config{Persons: 1500, Seed: 3, SeedSize: 100, CustomerRate: 0.1}, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// inputCase is one run's inputs: the shared world's files, unless the case
// replaces one, and a config over them.
type inputCase struct {
	t      *testing.T
	world  string
	dir    string
	files  map[string][]string // "accounts_facebook" → the files configured
	seeds  string
	listID string
	extra  []string // config lines
	app    map[string][]string
	pepper string
	flags  func(*Flags)
}

func newInputCase(t *testing.T, world string) *inputCase {
	c := &inputCase{t: t, world: world, dir: t.TempDir(), files: map[string][]string{}, app: map[string][]string{}, pepper: strongPepper, listID: "spring"}
	for _, app := range features.DefaultApps {
		for _, kind := range []string{"accounts", "events"} {
			c.files[kind+"_"+app] = []string{filepath.Join(world, kind+"_"+app+".jsonl")}
		}
	}
	c.seeds = filepath.Join(world, synth.SeedListFile)
	return c
}

// write writes a file of the case and returns its path.
func (c *inputCase) write(name string, body []byte) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// worldFile reads one of the world's files.
func (c *inputCase) worldFile(name string) []byte {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.world, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// csvOf turns one of the world's JSONL files into CSV with the columns
// given, in order.
func (c *inputCase) csvOf(name string, cols ...string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(cols, ",") + "\n")
	for _, line := range strings.Split(strings.TrimSpace(string(c.worldFile(name))), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(line), &m)
		cells := make([]string, len(cols))
		for i, col := range cols {
			if v, ok := m[col]; ok && v != nil {
				cells[i] = fmt.Sprint(v)
				if strings.ContainsAny(cells[i], ",\"") {
					cells[i] = `"` + strings.ReplaceAll(cells[i], `"`, `""`) + `"`
				}
			}
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.Bytes()
}

func (c *inputCase) out() string { return filepath.Join(c.dir, "out") }

// config writes the case's config and returns its path.
func (c *inputCase) config() string {
	var b strings.Builder
	given := func(key string) bool {
		return slices.ContainsFunc(c.extra, func(l string) bool { return strings.HasPrefix(l, key+":") })
	}
	fmt.Fprintf(&b, "run_id: bad\noutput: %s\nseed_store: %s\n", c.out(), filepath.Join(c.dir, "store"))
	if !given("min_seeds") {
		b.WriteString("min_seeds: 20\n")
	}
	b.WriteString("apps:\n")
	for _, app := range features.DefaultApps {
		fmt.Fprintf(&b, "  - name: %s\n    accounts: [%s]\n    events: [%s]\n", app,
			strings.Join(c.files["accounts_"+app], ", "), strings.Join(c.files["events_"+app], ", "))
		for _, l := range c.app[app] {
			b.WriteString("    " + l + "\n")
		}
	}
	fmt.Fprintf(&b, "seed_lists:\n  - {id: %s, advertiser: acme, file: %s}\n", c.listID, c.seeds)
	for _, l := range c.extra {
		b.WriteString(l + "\n")
	}
	if !given("privacy") {
		b.WriteString("privacy: {min_audience: 10}\n")
	}
	return c.write("config.yaml", []byte(b.String()))
}

// run runs job over the case's inputs and returns its exit code, its
// logs and its error.
func (c *inputCase) run(job RunFunc) (int, string, error) {
	c.t.Helper()
	c.t.Setenv("SOSIE_PEPPER", c.pepper)
	f := testFlags("", 0)
	*f.Config = c.config()
	if c.flags != nil {
		c.flags(f)
	}
	var logs, stdout bytes.Buffer
	code, err := job(context.Background(), zerolog.New(&logs), &stdout, f)
	return code, logs.String(), err
}

// report reads a published report of the case.
func (c *inputCase) report(name string) *Report {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.out(), name))
	if err != nil {
		c.t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatal(err)
	}
	return &r
}

// deadLetters reads a published dead-letter file as source → "reason:line".
func (c *inputCase) deadLetters(name string) map[string][]string {
	out := map[string][]string{}
	ReadLines(filepath.Join(c.out(), name), func(b []byte) error {
		var d pipelines.DeadLetter
		json.Unmarshal(b, &d)
		out[filepath.Base(d.Source)] = append(out[filepath.Base(d.Source)], fmt.Sprintf("%s:%d", d.Reason, d.Line))
		return nil
	})
	return out
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// featurized runs jobs/featurize under pepper into the case's output, for
// the cases of train and score.
func (c *inputCase) featurized(pepper string) {
	c.t.Helper()
	c.pepper = pepper
	if code, logs, err := c.run(RunFeaturize); code != ExitOK {
		c.t.Fatalf("featurize: exit %d: %v\n%s", code, err, logs)
	}
}

// trained runs jobs/train after featurized.
func (c *inputCase) trained(pepper string) {
	c.t.Helper()
	c.pepper = pepper
	if code, logs, err := c.run(RunTrain); code != ExitOK && code != ExitNotPredictive {
		c.t.Fatalf("train: exit %d: %v\n%s", code, err, logs)
	}
}

// TestBadInputs runs the jobs on inputs, configs and hand-off files gone
// wrong in the ways users make them, and checks each is a clear error
// naming what is wrong (and nothing published), or is handled with every
// line accounted for — never a silent success.
func TestBadInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the jobs on prism")
	}
	world := badWorld(t)
	otherPepper := "another pepper, also thirty-two bytes long or more"
	phoneOf := func(c *inputCase, app string, n int) string {
		var a features.Account
		lines := strings.Split(string(c.worldFile("accounts_"+app+".jsonl")), "\n")
		json.Unmarshal([]byte(lines[n]), &a)
		return a.Phone
	}
	for _, tc := range []struct {
		name  string
		job   RunFunc // RunLookalike when nil
		prep  func(c *inputCase)
		code  int
		says  []string
		check func(t *testing.T, c *inputCase, logs string)
	}{
		// Configuration: refused before any work, naming the key.
		{name: "window_days 0", prep: func(c *inputCase) { c.extra = append(c.extra, "window_days: 0") }, code: ExitBadInput, says: []string{"window_days: 0"}},
		{name: "min_seeds 0", prep: func(c *inputCase) { c.extra = append(c.extra, "min_seeds: 0") }, code: ExitBadInput, says: []string{"min_seeds: 0, want at least 2"}},
		{name: "audience_percent 0", prep: func(c *inputCase) { c.seeds += ", audience_percent: 0" }, code: ExitBadInput, says: []string{"seed_lists[0].audience_percent: 0"}},
		{name: "sample_size 0", prep: func(c *inputCase) { c.extra = append(c.extra, "sample_size: 0") }, code: ExitBadInput, says: []string{"sample_size: 0"}},
		{name: "max_accounts_per_phone 0", prep: func(c *inputCase) { c.extra = append(c.extra, "max_accounts_per_phone: 0") }, code: ExitBadInput, says: []string{"max_accounts_per_phone: 0"}},
		{name: "negative floor", prep: func(c *inputCase) { c.extra = append(c.extra, "privacy: {floor: -3}") }, code: ExitBadInput, says: []string{"privacy.floor: -3"}},
		{name: "negative noise", prep: func(c *inputCase) { c.extra = append(c.extra, "privacy: {noise_scale: -1}") }, code: ExitBadInput, says: []string{"privacy.noise_scale: -1"}},
		{name: "misspelt key", prep: func(c *inputCase) { c.extra = append(c.extra, "sampel_size: 10") }, code: ExitBadInput, says: []string{"sampel_size"}},
		{name: "as_of not a date", prep: func(c *inputCase) { c.extra = append(c.extra, "as_of: 01/11/2026") }, code: ExitBadInput, says: []string{"as_of"}},
		{name: "unknown prospect format", prep: func(c *inputCase) { c.extra = append(c.extra, "prospect_formats: [xlsx]") }, code: ExitBadInput, says: []string{"prospect_formats[0]"}},
		{name: "phone mapped to no column", prep: func(c *inputCase) { c.app["whatsapp"] = []string{"account_columns: {phone: '-'}"} }, code: ExitBadInput,
			says: []string{"apps[2].account_columns.phone"}},
		{name: "negative --persons", prep: func(c *inputCase) { c.flags = func(f *Flags) { *f.Config = ""; *f.Out = c.out(); *f.Persons = -1 } }, code: ExitBadInput,
			says: []string{"--persons -1: want at least 1"}},

		// Files: formats by name, refused before any work.
		{name: "pattern matching nothing", prep: func(c *inputCase) {
			c.files["events_messenger"] = []string{filepath.Join(c.dir, "events_*.jsonl")}
		}, code: ExitBadInput, says: []string{"events_*.jsonl", "no file matches"}},
		{name: "accounts in an unknown format", prep: func(c *inputCase) {
			c.files["accounts_facebook"] = append(c.files["accounts_facebook"], c.write("more.xlsx", []byte("PK")))
		}, code: ExitBadInput, says: []string{"more.xlsx", "unknown file extension"}},
		{name: "seed list in an unknown format", prep: func(c *inputCase) { c.seeds = c.write("customers.xls", c.worldFile(synth.SeedListFile)) },
			code: ExitBadInput, says: []string{"customers.xls", "unknown file extension"}},
		{name: "opt-out list in an unknown format", prep: func(c *inputCase) {
			c.extra = append(c.extra, "opt_out: ["+c.write("optout.pdf", []byte("%PDF"))+"]")
		}, code: ExitBadInput, says: []string{"optout.pdf", "unknown file extension"}},
		{name: "parquet.gz", prep: func(c *inputCase) {
			c.files["accounts_instagram"] = []string{c.write("a.parquet.gz", []byte("x"))}
		}, code: ExitBadInput, says: []string{"a.parquet.gz"}},
		{name: "missing seed list", prep: func(c *inputCase) { c.seeds = filepath.Join(c.dir, "nope.csv") }, code: ExitBadInput, says: []string{"seed list spring", "nope.csv"}},

		// The pepper.
		{name: "short pepper", prep: func(c *inputCase) { c.pepper = "too short" }, code: ExitBadInput, says: []string{"SOSIE_PEPPER", "9 bytes, want at least 32"}},
		{name: "blank pepper", prep: func(c *inputCase) { c.pepper = strings.Repeat(" ", 40) }, code: ExitBadInput, says: []string{"blank"}},
		{name: "development pepper on real inputs", prep: func(c *inputCase) { c.pepper = DevelopmentPepper }, code: ExitBadInput,
			says: []string{"development pepper"}},
		{name: "empty pepper file", prep: func(c *inputCase) { c.extra = append(c.extra, "pepper_file: "+c.write("pepper", nil)) }, code: ExitBadInput,
			says: []string{"pepper file", "is empty"}},

		// Rows swallowed: never more than the line at fault.
		{name: "stray quote in accounts CSV", prep: func(c *inputCase) {
			lines := strings.Split(string(c.csvOf("accounts_facebook.jsonl", "user_id", "phone", "country", "birth_year", "consent_ads", "consent_cross_app", "updated_at")), "\n")
			cells := strings.SplitN(lines[7], ",", 3)
			lines[7] = cells[0] + `,"` + cells[1] + "," + cells[2] // line 8
			c.files["accounts_facebook"] = []string{c.write("accounts_facebook.csv", []byte(strings.Join(lines, "\n")))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			rep := c.report("report.json")
			f := rep.Inputs[slices.IndexFunc(rep.Inputs, func(f pipelines.InputFile) bool { return strings.HasSuffix(f.File, "accounts_facebook.csv") })]
			if f.Rejected != 1 || f.Read != f.Lines-2 || !f.Balanced() {
				t.Errorf("accounts_facebook.csv: %+v", f)
			}
			if got := c.deadLetters("dead_letters.jsonl")["accounts_facebook.csv"]; !slices.Equal(got, []string{"bad_quote:8"}) {
				t.Errorf("dead letters %v, want bad_quote:8", got)
			}
		}},
		{name: "stray quote in the seed list", prep: func(c *inputCase) {
			lines := strings.Split(string(c.worldFile(synth.SeedListFile)), "\n")
			lines[5] = `"` + lines[5]
			c.seeds = c.write("seeds.csv", []byte(strings.Join(lines, "\n")))
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			rep := c.report("report.json")
			m := rep.SeedMatch[0]
			r := features.NewSeedCSVReader(bytes.NewReader(c.worldFile(synth.SeedListFile)))
			r.ReadAll()
			if m.Rejected[features.ReasonBadQuote] != 1 || m.Rows != r.Stats().Read {
				t.Errorf("match report %+v: the file's %d rows, one rejected for its quote", m, r.Stats().Read)
			}
		}},
		{name: "JSON line with trailing text", prep: func(c *inputCase) {
			b := c.worldFile("accounts_messenger.jsonl")
			i := bytes.IndexByte(b, '\n')
			c.files["accounts_messenger"] = []string{c.write("accounts_messenger.jsonl", append(append(b[:i:i], " trailing"...), b[i:]...))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if got := c.deadLetters("dead_letters.jsonl")["accounts_messenger.jsonl"]; !slices.Equal(got, []string{"bad_line:1"}) {
				t.Errorf("dead letters %v", got)
			}
		}},
		{name: "CSV line with a field too many", prep: func(c *inputCase) {
			b := c.csvOf("events_instagram.jsonl", "user_id", "time", "type", "category")
			c.files["events_instagram"] = []string{c.write("events_instagram.csv", fieldTooMany(b))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if got := c.deadLetters("dead_letters.jsonl")["events_instagram.csv"]; !slices.Equal(got, []string{"field_count:3"}) {
				t.Errorf("dead letters %v", got)
			}
		}},
		{name: "gzip JSONL", prep: func(c *inputCase) {
			c.files["events_whatsapp"] = []string{c.write("events_whatsapp.jsonl.gz", gzipped(c.worldFile("events_whatsapp.jsonl")))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			want := int64(strings.Count(string(c.worldFile("events_whatsapp.jsonl")), "\n"))
			if got := c.report("report.json").Counters[pipelines.AppCounter(pipelines.CounterEventsIn, "whatsapp")]; got != want {
				t.Errorf("%d events read from the .gz, the file has %d", got, want)
			}
		}},
		{name: "gzip named .jsonl", prep: func(c *inputCase) {
			c.files["events_whatsapp"] = []string{c.write("events_whatsapp.jsonl", gzipped(c.worldFile("events_whatsapp.jsonl")))}
		}, code: ExitFailed, says: []string{"events_whatsapp.jsonl", "gzip-compressed but not named .gz"}},
		{name: ".gz that is not gzip", prep: func(c *inputCase) {
			c.files["events_whatsapp"] = []string{c.write("events_whatsapp.jsonl.gz", c.worldFile("events_whatsapp.jsonl"))}
		}, code: ExitFailed, says: []string{"events_whatsapp.jsonl.gz", "not gzip-compressed"}},
		{name: "binary file named .csv", prep: func(c *inputCase) {
			c.files["accounts_whatsapp"] = append(c.files["accounts_whatsapp"], c.write("blob.csv", []byte("user_id,phone\nu1,\x00\x01\x02\n")))
		}, code: ExitFailed, says: []string{"blob.csv", "line 2", "NUL byte"}},
		{name: "UTF-16 and Latin-1 CSV", prep: func(c *inputCase) {
			b := string(c.csvOf("accounts_messenger.jsonl", "user_id", "phone", "country", "consent_ads", "consent_cross_app", "carrier"))
			c.files["accounts_messenger"] = []string{c.write("accounts_messenger.csv", utf16LE(b))}
			c.files["accounts_instagram"] = []string{c.write("accounts_instagram.csv",
				append(c.csvOf("accounts_instagram.jsonl", "user_id", "phone", "country", "consent_ads", "consent_cross_app"), "zz1,+33612345678,FR,true,true\xe9\n"...))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			rep := c.report("report.json")
			for _, f := range rep.Inputs {
				if strings.HasSuffix(f.File, "accounts_messenger.csv") && (f.Encoding != features.UTF16LE || f.Rejected != 0) {
					t.Errorf("UTF-16: %+v", f)
				}
				if strings.HasSuffix(f.File, "accounts_instagram.csv") && (f.Recoded != 1 || !f.Balanced()) {
					t.Errorf("Latin-1: %+v", f)
				}
			}
		}},
		{name: "classic Mac line ends", prep: func(c *inputCase) {
			c.files["events_facebook"] = []string{c.write("events_facebook.jsonl", bytes.ReplaceAll(c.worldFile("events_facebook.jsonl"), []byte("\n"), []byte("\r")))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			want := int64(strings.Count(string(c.worldFile("events_facebook.jsonl")), "\n"))
			if got := c.report("report.json").Counters[pipelines.AppCounter(pipelines.CounterEventsIn, "facebook")]; got != want {
				t.Errorf("%d events read, the file has %d", got, want)
			}
		}},

		// False success: every configured input must give data.
		{name: "every accounts file empty", prep: func(c *inputCase) {
			for _, app := range features.DefaultApps {
				c.files["accounts_"+app] = []string{c.write("empty_"+app+".jsonl", nil)}
			}
		}, code: ExitFailed, says: []string{"no account read from", "empty_facebook.jsonl"}},
		{name: "one app's accounts empty", prep: func(c *inputCase) {
			c.files["accounts_instagram"] = []string{c.write("empty.jsonl", nil)}
		}, code: ExitFailed, says: []string{"app instagram gave no data", "mark the app optional"}},
		{name: "one optional app's accounts empty", prep: func(c *inputCase) {
			c.files["accounts_instagram"] = []string{c.write("empty.jsonl", nil)}
			c.app["instagram"] = []string{"optional: true"}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if w := c.report("report.json").Warnings; len(w) != 1 || !strings.Contains(w[0], "app instagram gave no data") {
				t.Errorf("warnings %q", w)
			}
		}},
		{name: "phone column renamed in a CSV header", prep: func(c *inputCase) {
			c.files["accounts_whatsapp"] = []string{c.write("accounts_whatsapp.csv", c.csvOf("accounts_whatsapp.jsonl", "user_id", "msisdn", "country"))}
		}, code: ExitFailed, says: []string{"accounts_whatsapp.csv", "no column phone", "user_id, msisdn, country"}},
		{name: "phone field renamed in JSON lines", prep: func(c *inputCase) {
			c.files["accounts_whatsapp"] = []string{c.write("accounts_whatsapp.jsonl", bytes.ReplaceAll(c.worldFile("accounts_whatsapp.jsonl"), []byte(`"phone":`), []byte(`"msisdn":`)))}
		}, code: ExitFailed, says: []string{"app whatsapp gave no data", "has a usable phone", "empty"}},
		{name: "user id column renamed in events", prep: func(c *inputCase) {
			c.files["events_messenger"] = []string{c.write("events_messenger.csv", c.csvOf("events_messenger.jsonl", "uid", "time", "type"))}
		}, code: ExitFailed, says: []string{"events_messenger.csv", "no column user_id"}},
		{name: "as_of years past the data", prep: func(c *inputCase) { c.extra = append(c.extra, "as_of: 2031-01-01") }, code: ExitFailed,
			says: []string{"falls in the activity window", "2030-10-03 to 2031-01-01", "they run from 2026"}},
		{name: "as_of before the data", prep: func(c *inputCase) { c.extra = append(c.extra, "as_of: 2020-01-01") }, code: ExitFailed,
			says: []string{"falls in the activity window"}},
		{name: "one app's events empty", prep: func(c *inputCase) {
			c.files["events_facebook"] = []string{c.write("events_facebook.csv", []byte("user_id,time,type\n"))}
		}, code: ExitFailed, says: []string{"app facebook gave no data", "no event read from", "events_facebook.csv (1 lines, 0 rejected)"}},
		{name: "empty opt-out list", prep: func(c *inputCase) {
			c.extra = append(c.extra, "opt_out: ["+c.write("optout.csv", []byte("phone\n"))+"]")
		}, code: ExitFailed, says: []string{"optout.csv has no usable entry"}},
		{name: "opt-out list of junk", prep: func(c *inputCase) {
			c.extra = append(c.extra, "opt_out: ["+c.write("optout.txt", []byte("n/a\nunknown\n"))+"]")
		}, code: ExitFailed, says: []string{"optout.txt has no usable entry", "2 rejected"}},
		{name: "national opt-outs with a country column", prep: func(c *inputCase) {
			e164 := frenchPhone(c)
			c.extra = append(c.extra, "opt_out: ["+c.write("optout.csv", []byte("phone;country\n0"+e164[3:5]+" "+e164[5:7]+" "+e164[7:9]+" "+e164[9:11]+" "+e164[11:]+";fr\n"))+"]")
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if n := c.report("report.json").Counters["optout_persons_removed"]; n != 1 {
				t.Errorf("%d persons removed by a national opt-out", n)
			}
		}},
		{name: "hashes of phones as typed", prep: func(c *inputCase) {
			var b strings.Builder
			b.WriteString("phone\n")
			for i := range 60 {
				fmt.Fprintf(&b, "%s\n", features.HashPhone(fmt.Sprintf("06 12 34 %02d %02d", i/10, i%10)).Digits)
			}
			c.seeds = c.write("hashed.csv", []byte(b.String()))
		}, code: ExitFailed, says: []string{"seed list spring: 0 seeds matched", "0 of its 60 SHA-256 rows matched", "E.164"}},
		{name: "seed list nobody matches", prep: func(c *inputCase) {
			c.seeds = c.write("seeds.csv", []byte("phone\n+33 6 99 99 99 01\n+33 6 99 99 99 02\n"))
		}, code: ExitFailed, says: []string{"seed list spring", "0 seeds matched", "at least 20"}},

		// Split jobs: the files they hand each other.
		{name: "train under another pepper than featurize", job: RunTrain, prep: func(c *inputCase) { c.featurized(strongPepper); c.pepper = otherPepper },
			code: ExitBadInput, says: []string{"pepper mismatch", "was written under pepper"}},
		{name: "score under another pepper than train", job: RunScore, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			c.trained(strongPepper)
			c.pepper = otherPepper
		}, code: ExitBadInput, says: []string{"pepper mismatch", "this run's pepper"}},
		{name: "models from another pepper", job: RunScore, prep: func(c *inputCase) {
			c.featurized(otherPepper)
			c.trained(otherPepper)
			c.featurized(strongPepper)
		}, code: ExitBadInput, says: []string{"pepper mismatch", pipelines.ModelsFile}},
		{name: "persons from an older sosie", job: RunTrain, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			p := filepath.Join(c.out(), pipelines.PersonsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[bytes.IndexByte(b, '\n')+1:], 0o600)
		}, code: ExitBadInput, says: []string{pipelines.PersonsFile, "no header line"}},
		{name: "identities of another featurize run", job: RunTrain, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			ids, _ := os.ReadFile(filepath.Join(c.out(), pipelines.IdentitiesFile))
			c.extra = append(c.extra, "as_of: 2026-10-25")
			c.featurized(strongPepper)
			c.extra = c.extra[:len(c.extra)-1]
			c.write("out/"+pipelines.IdentitiesFile, ids)
		}, code: ExitBadInput, says: []string{"files of different runs", "as of 2026-10-25", "as of 2026-11-01"}},
		{name: "semicolon-separated accounts named .csv", prep: func(c *inputCase) {
			b := c.csvOf("accounts_instagram.jsonl", "user_id", "phone", "country", "consent_ads", "consent_cross_app")
			c.files["accounts_instagram"] = []string{c.write("accounts_instagram.csv", bytes.ReplaceAll(b, []byte(","), []byte(";")))}
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if n := c.report("report.json").Counters[pipelines.AppCounter(pipelines.CounterProfiles, "instagram")]; n == 0 {
				t.Error("no instagram profile from a semicolon-separated file")
			}
		}},
		{name: "opt-outs as digits with the country code", prep: func(c *inputCase) {
			c.extra = append(c.extra, "opt_out: ["+c.write("optout.txt", []byte(frenchPhone(c)[1:]+"\n"))+"]")
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			if n := c.report("report.json").Counters["optout_persons_removed"]; n != 1 {
				t.Errorf("%d persons removed by a digits-only opt-out", n)
			}
		}},
		{name: "empty key", prep: func(c *inputCase) { c.extra = append(c.extra, "as_of: ''") }, code: ExitBadInput, says: []string{`as_of: "" is not a YYYY-MM-DD date`}},
		{name: "models file for another list", job: RunScore, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			c.trained(strongPepper)
			c.listID = "autumn"
		}, code: ExitBadInput, says: []string{"no model for seed list autumn", "it has models for: spring"}},
		{name: "empty models file", job: RunScore, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			c.write("out/"+pipelines.ModelsFile, nil)
		}, code: ExitBadInput, says: []string{pipelines.ModelsFile, "the file is empty"}},
		{name: "models file with its header only", job: RunScore, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			c.trained(strongPepper)
			p := filepath.Join(c.out(), pipelines.ModelsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:bytes.IndexByte(b, '\n')+1], 0o600)
		}, code: ExitBadInput, says: []string{"no model for seed list spring", "none"}},
		{name: "identities truncated to the header", job: RunTrain, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			p := filepath.Join(c.out(), pipelines.IdentitiesFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:bytes.IndexByte(b, '\n')+1], 0o600)
		}, code: ExitFailed, says: []string{pipelines.IdentitiesFile, "holds no identities"}},
		{name: "a corrupt line among the persons", job: RunTrain, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			p := filepath.Join(c.out(), pipelines.PersonsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, "{\"key\": 12, broken\n"...), 0o600)
		}, code: ExitOK, check: func(t *testing.T, c *inputCase, _ string) {
			rep := c.report("train_report.json")
			f := rep.Inputs[slices.IndexFunc(rep.Inputs, func(f pipelines.InputFile) bool { return f.Kind == pipelines.PersonsKind })]
			if f.Rejected != 1 || f.Header != 1 || !f.Balanced() {
				t.Errorf("persons: %+v", f)
			}
		}},
		{name: "score with too few seeds matched", job: RunScore, prep: func(c *inputCase) {
			c.featurized(strongPepper)
			c.trained(strongPepper)
			c.seeds = c.write("few.csv", []byte("phone\n"+phoneOf(c, "facebook", 0)+"\n"+phoneOf(c, "facebook", 1)+"\n"))
		}, code: ExitFailed, says: []string{"seed list spring", "seeds matched a person, at least 20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newInputCase(t, world)
			if tc.prep != nil {
				tc.prep(c)
			}
			job := tc.job
			if job == nil {
				job = RunLookalike
			}
			before := snapshot(t, c.out())
			code, logs, err := c.run(job)
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tc.code, lastLines(logs, 8))
			}
			for _, s := range tc.says {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("error %v does not say %q", err, s)
				}
			}
			if code == ExitOK && err != nil {
				t.Errorf("exit 0 with an error: %v", err)
			}
			if code == ExitFailed || code == ExitBadInput {
				// Nothing of a failed run is published: the directory holds
				// what it held (the synthetic world and staging aside).
				if after := snapshot(t, c.out()); !maps.Equal(before, after) {
					t.Errorf("a failed run changed the published outputs:\nbefore %v\nafter  %v", before, after)
				}
			}
			if tc.check != nil {
				tc.check(t, c, logs)
			}
		})
	}
}

// fieldTooMany adds a field to the third line of a CSV file.
func fieldTooMany(b []byte) []byte {
	lines := bytes.SplitN(b, []byte("\n"), 4)
	lines[2] = append(lines[2], ",extra"...)
	return bytes.Join(lines, []byte("\n"))
}

// snapshot lists the published files of an output directory and their
// contents' sizes and times: the synthetic world, staging and BigQuery
// temp files aside.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (rel == "world" || rel == "_staging" || rel == "bigquery-temp") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			fi, _ := d.Info()
			out[rel] = fmt.Sprintf("%d@%s", fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
		}
		return nil
	})
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// frenchPhone is the E.164 number of a French account of the world that
// is on no other account.
func frenchPhone(c *inputCase) string {
	seen := map[string]int{}
	var french []string
	for _, line := range strings.Split(strings.TrimSpace(string(c.worldFile("accounts_facebook.jsonl"))), "\n") {
		var a features.Account
		json.Unmarshal([]byte(line), &a)
		e164, err := features.NormalizePhone(a.Phone, a.Country)
		if err != nil {
			continue
		}
		seen[e164]++
		if a.Country == "FR" && strings.HasPrefix(e164, "+336") {
			french = append(french, e164)
		}
	}
	for _, p := range french {
		if seen[p] == 1 {
			return p
		}
	}
	c.t.Fatal("no French phone in the world")
	return ""
}
