// Package pagetest opens report pages in headless Chromium for tests and
// checks them through the browser's DOM: every chart drawn, the page no
// wider than a laptop's window, and every number it shows equal to the
// value of the JSON report beside it that it says it shows (package
// page's data-field bindings).
package pagetest

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
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sosie-dev/sosie/jobs/internal/page"
)

// Width is the browser window's width: a laptop's, in CSS pixels.
const Width = 1280

// chromium finds the browser: SOSIE_CHROMIUM, else Debian's chromium on
// the PATH.
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

// Browser starts headless Chromium for the test and returns its context,
// closed when the test ends. Without Chromium the test is skipped, saying
// so — and fails under CI, which installs it (.ci/run).
func Browser(t *testing.T) context.Context {
	t.Helper()
	browser := chromium()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed: CI installs Debian's chromium package (.ci/run)")
		}
		t.Skip("Chromium is absent, so the pages were not opened in a browser: install Debian's chromium package (or set SOSIE_CHROMIUM) to run this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(Width, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(func() { cancel(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// Want is what a page must show.
type Want struct {
	Charts []string // the data-chart ids that must be drawn
	Fields []string // JSON pointers the page must show
	Tables []string // the data-table ids that must be there
	// Screenshot, if set, is where the top of the page is kept as PNG
	// when SOSIE_SCREENSHOTS names a directory (the README's are made so).
	Screenshot string
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

// Check opens the page at htmlPath in the browser, takes a screenshot,
// and checks it against the JSON report at jsonPath: every chart drawn
// (and those of want), with its numbers beside it and its PNG in the
// page's _charts directory; no overflow at Width; every number shown
// equal to the JSON's value at its pointer, written as its format says
// (and those of want shown).
func Check(t *testing.T, ctx context.Context, htmlPath, jsonPath string, want Want) {
	t.Helper()
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+abs)); err != nil {
		t.Fatalf("%s: %v", htmlPath, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[shownPage](readPage))
	if err != nil {
		t.Fatalf("%s: %v", htmlPath, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", htmlPath, err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", htmlPath, err)
	}
	if b := img.Bounds(); b.Dx() < Width-300 || b.Dy() < 600 {
		t.Errorf("%s: screenshot of %v", htmlPath, b)
	}
	if keep := os.Getenv("SOSIE_SCREENSHOTS"); keep != "" && want.Screenshot != "" {
		keepTop(t, img, filepath.Join(keep, want.Screenshot), 2000)
	}
	if shown.ScrollWidth > shown.Width {
		t.Errorf("%s is %v px wide in a %v px window", htmlPath, shown.ScrollWidth, shown.Width)
	}
	charts := map[string]bool{}
	for _, c := range shown.Charts {
		charts[c.ID] = true
		switch {
		case c.Paths < 5 || c.Width < 400:
			t.Errorf("%s: chart %s is not drawn: %+v", htmlPath, c.ID, c)
		case c.DataRows == 0:
			t.Errorf("%s: chart %s has no numbers beside it", htmlPath, c.ID)
		}
		if _, err := os.Stat(filepath.Join(strings.TrimSuffix(htmlPath, ".html")+"_charts", c.ID+".png")); err != nil {
			t.Errorf("%s: chart %s has no PNG: %v", htmlPath, c.ID, err)
		}
	}
	for _, id := range want.Charts {
		if !charts[id] {
			t.Errorf("%s: chart %s is missing (charts: %v)", htmlPath, id, shown.Charts)
		}
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", jsonPath, err)
	}
	seen := map[string]bool{}
	for _, f := range shown.Fields {
		seen[f.Field] = true
		v, err := Resolve(doc, f.Field)
		if err != nil {
			t.Errorf("%s shows %s (%q), which %s lacks: %v", htmlPath, f.Field, f.Text, jsonPath, err)
			continue
		}
		var got any
		if err := json.Unmarshal([]byte(f.Value), &got); err != nil || !reflect.DeepEqual(got, v) {
			t.Errorf("%s: %s: the page binds %s, %s has %v", htmlPath, f.Field, f.Value, jsonPath, v)
			continue
		}
		vRaw, _ := json.Marshal(v)
		text, err := page.Format(f.Format, vRaw)
		if err != nil || f.Text != text {
			t.Errorf("%s: %s: the page shows %q, %s's %s is %q (%v)", htmlPath, f.Field, f.Text, jsonPath, vRaw, text, err)
		}
	}
	if len(shown.Fields) == 0 {
		t.Errorf("%s shows no number of %s", htmlPath, jsonPath)
	}
	for _, id := range want.Tables {
		if !slices.Contains(shown.Tables, id) {
			t.Errorf("%s: table %s is missing (tables: %v)", htmlPath, id, shown.Tables)
		}
	}
	for _, f := range want.Fields {
		if !seen[f] {
			t.Errorf("%s does not show %s", htmlPath, f)
		}
	}
	t.Logf("%s: %d charts, %d tables, %d numbers checked against %s", htmlPath, len(shown.Charts), len(shown.Tables), len(shown.Fields), jsonPath)
}

// keepTop writes the top height pixels of a screenshot to path as PNG.
func keepTop(t *testing.T, img image.Image, path string, height int) {
	t.Helper()
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

// Resolve finds the value at a JSON pointer (RFC 6901) in a decoded JSON
// document.
func Resolve(doc any, ptr string) (any, error) {
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
