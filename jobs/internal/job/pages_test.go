package job

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/jobs/internal/page"
)

// chromium finds the browser the pages' test renders them in:
// SOSIE_CHROMIUM, else Debian's chromium on the PATH.
func chromium() string {
	if p := os.Getenv("SOSIE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shownField is an element of a page that shows a report value.
type shownField struct {
	Field, Value, Format, Text string
}

// shownChart is a chart as the browser laid it out.
type shownChart struct {
	ID       string
	Paths    int     // drawn shapes in its SVG
	Width    float64 // of its SVG, in CSS pixels
	DataRows int     // rows of the numbers behind it
}

// shownPage is what a test reads of a rendered page through its DOM.
type shownPage struct {
	Fields      []shownField
	Charts      []shownChart
	Tables      []string
	ScrollWidth float64
	Width       float64
}

const readPage = `({
	Fields: [...document.querySelectorAll('[data-field]')].map(e => ({Field: e.dataset.field, Value: e.dataset.value, Format: e.dataset.format, Text: e.textContent})),
	Charts: [...document.querySelectorAll('figure[data-chart]')].map(f => {
		const svg = f.querySelector('svg');
		return {ID: f.dataset.chart, Paths: svg ? svg.querySelectorAll('path').length : 0,
			Width: svg ? svg.getBoundingClientRect().width : 0, DataRows: f.querySelectorAll('details tbody tr').length};
	}),
	Tables: [...document.querySelectorAll('table[data-table]')].map(t => t.dataset.table),
	ScrollWidth: document.documentElement.scrollWidth,
	Width: window.innerWidth,
})`

// TestPagesInChromium runs the README's quick start and opens its two
// pages — the run report and the seed list's advertiser report — in
// headless Chromium at a laptop's width: every chart is drawn, the page
// does not overflow, and every number shown equals the value of the JSON
// report beside the page that it says it shows. SOSIE_SCREENSHOTS=DIR
// keeps the screenshots (the README's are made so, into docs/).
func TestPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flow on prism and a browser")
	}
	browser := chromium()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed: CI installs Debian's chromium package (.ci/run)")
		}
		t.Skip("Chromium is absent, so the pages were not opened in a browser: install Debian's chromium package (or set SOSIE_CHROMIUM) to run this test")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	var stdout bytes.Buffer
	if code, err := RunLookalike(context.Background(), zerolog.Nop(), &stdout, testFlags("out", 0)); code != ExitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	// The featurize stage's letters of rejected accounts name their file.
	var rep Report
	if b, err := os.ReadFile("out/report.json"); err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("report: %v", err)
	}
	named := 0
	for _, d := range rep.DeadLetters {
		if d.Stage == "featurize" && d.Reason == "no_region" {
			if want := "accounts_" + d.Source + ".jsonl"; !strings.HasSuffix(d.File, want) {
				t.Errorf("%s's no_region letters: file %q, want …%s", d.Source, d.File, want)
			}
			named++
		}
	}
	if named == 0 {
		t.Errorf("no featurize letter counted: %+v", rep.DeadLetters)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()

	for _, pg := range []struct {
		html, json, shot string
		charts           []string
		fields           []string
	}{
		{html: "out/report.html", json: "out/report.json", shot: "run-report.png",
			charts: []string{"list-synthetic-funnel", "list-synthetic-gains", "list-synthetic-features", "list-synthetic-distribution", "list-synthetic-tiers", "list-synthetic-countries", "dead-letters"},
			fields: []string{"/seed_match/0/rows", "/seed_match/0/matched", "/models/0/quality/held_out/auc", "/models/0/quality/held_out/recall_at_1pct",
				"/models/0/quality/held_out/recall_at_5pct", "/models/0/quality/held_out/recall_at_10pct", "/models/0/quality/held_out/lift_at_10pct",
				"/audiences/0/size", "/balances/0/holds", "/score_distributions/0/bins/19", "/audience_by_tier/synthetic/1", "/audience_by_country/synthetic/FR"}},
		{html: "out/advertiser_reports/demo/synthetic.html", json: "out/advertiser_reports/demo/synthetic.json", shot: "advertiser-report.png",
			charts: []string{"funnel", "gains", "features", "audience-tiers", "audience-countries", "audience-distribution"},
			fields: []string{"/rows", "/valid", "/usable", "/matched", "/audience", "/gains/4/customers_percent", "/audience_by_tier/1", "/audience_by_country/IN", "/similarity_distribution/0"}},
	} {
		t.Run(filepath.Base(pg.html), func(t *testing.T) {
			abs, err := filepath.Abs(pg.html)
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs)); err != nil {
				t.Fatal(err)
			}
			shown, err := chromedp.Run(ctx, chromedp.Evaluate[shownPage](readPage))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 900 {
				t.Errorf("screenshot of %v", b)
			}
			if keep := os.Getenv("SOSIE_SCREENSHOTS"); keep != "" {
				keepTop(t, img, filepath.Join(keep, pg.shot), 2000)
			}
			if shown.ScrollWidth > shown.Width {
				t.Errorf("the page is %v px wide in a %v px window", shown.ScrollWidth, shown.Width)
			}
			charts := map[string]shownChart{}
			for _, c := range shown.Charts {
				charts[c.ID] = c
			}
			for _, id := range pg.charts {
				c, ok := charts[id]
				switch {
				case !ok:
					t.Errorf("chart %s is missing (charts: %v)", id, shown.Charts)
				case c.Paths < 5 || c.Width < 400:
					t.Errorf("chart %s is not drawn: %+v", id, c)
				case c.DataRows == 0:
					t.Errorf("chart %s has no numbers beside it", id)
				}
				if _, err := os.Stat(filepath.Join(strings.TrimSuffix(pg.html, ".html")+"_charts", id+".png")); err != nil {
					t.Errorf("chart %s has no PNG: %v", id, err)
				}
			}
			raw, err := os.ReadFile(pg.json)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, f := range shown.Fields {
				seen[f.Field] = true
				want, err := resolvePointer(doc, f.Field)
				if err != nil {
					t.Errorf("the page shows %s (%q), which its JSON report lacks: %v", f.Field, f.Text, err)
					continue
				}
				var got any
				if err := json.Unmarshal([]byte(f.Value), &got); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: the page binds %s, the JSON report has %v", f.Field, f.Value, want)
					continue
				}
				wantRaw, _ := json.Marshal(want)
				text, err := page.Format(f.Format, wantRaw)
				if err != nil || f.Text != text {
					t.Errorf("%s: the page shows %q, the JSON report's %s is %q (%v)", f.Field, f.Text, wantRaw, text, err)
				}
			}
			for _, f := range pg.fields {
				if !seen[f] {
					t.Errorf("the page does not show %s", f)
				}
			}
			t.Logf("%s: %d charts, %d tables, %d numbers checked against %s", pg.html, len(shown.Charts), len(shown.Tables), len(shown.Fields), pg.json)
		})
	}
}

// keepTop writes the top height pixels of a screenshot to path as PNG.
func keepTop(t *testing.T, img image.Image, path string, height int) {
	b := img.Bounds()
	b.Max.Y = min(b.Max.Y, b.Min.Y+height)
	top := image.NewRGBA(b)
	draw.Draw(top, b, img, b.Min, draw.Src)
	var out bytes.Buffer
	if err := png.Encode(&out, top); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// resolvePointer finds the value at a JSON pointer (RFC 6901) in a
// decoded JSON document.
func resolvePointer(doc any, ptr string) (any, error) {
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, &json.UnsupportedValueError{Str: ptr}
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, &json.UnsupportedValueError{Str: "no member " + tok}
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, &json.UnsupportedValueError{Str: "no element " + tok}
			}
			cur = v[i]
		default:
			return nil, &json.UnsupportedValueError{Str: "nothing under " + tok}
		}
	}
	return cur, nil
}
