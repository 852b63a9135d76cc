package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Page is one report page.
type Page struct {
	Title    string
	Lead     []string // paragraphs under the title
	Sections []Section
}

// Section is a titled part of a page.
type Section struct {
	ID    string // the anchor it is linked by from the page's contents
	Title string
	Items []Item
}

// Item is one thing in a section: a paragraph, a table or a chart (the
// first set).
type Item struct {
	Text  string
	Table *Table
	Chart *Chart
	// Fold shows the table folded, its caption the line that unfolds it.
	Fold bool
}

// Table is a table of cells, the first row its header.
type Table struct {
	ID      string
	Caption string
	Header  []string
	Rows    [][]Cell
}

// Cell is a table cell: a label (Field empty) or a value bound to its
// place in the page's JSON report.
type Cell struct {
	Text   string // as shown
	Field  string // the JSON pointer of the value; "" for a label
	Value  string // the value, as JSON
	Format string // how Text was written from Value (Format)
	Class  string // a CSS class: "ok", "bad"
}

// Label is a cell of text that is not a value of the report.
func Label(s string) Cell { return Cell{Text: s} }

// Bound is a cell showing the value v, found at the JSON pointer field of
// the page's report, written as format says (Format). A value that does
// not encode as JSON is shown as the error.
func Bound(field string, v any, format string) Cell {
	raw, err := json.Marshal(v)
	if err != nil {
		return Cell{Text: err.Error()}
	}
	text, err := Format(format, raw)
	if err != nil {
		text = err.Error()
	}
	return Cell{Text: text, Field: field, Value: string(raw), Format: format}
}

// Pointer joins JSON pointer tokens ("models", 0, "auc" → /models/0/auc),
// escaping ~ and / as RFC 6901 says.
func Pointer(tokens ...any) string {
	var b strings.Builder
	for _, t := range tokens {
		s := fmt.Sprint(t)
		s = strings.ReplaceAll(s, "~", "~0")
		s = strings.ReplaceAll(s, "/", "~1")
		b.WriteString("/" + s)
	}
	return b.String()
}

// Format writes a report value (raw JSON) for a person to read:
//
//	int        a count, digits grouped: 166,618
//	floored:N  a count, or "under N" when the report has null (under the floor)
//	dec2, dec3 a number to 2 or 3 decimals
//	pct        a share in [0, 1] as a percentage to one decimal: 35.9%
//	percent    a number already in percent: 35%
//	sec        seconds to one decimal: 0.4 s
//	holds      a boolean: "holds" or "BROKEN"
//	text       a string as it is
func Format(format string, raw []byte) (string, error) {
	if f, ok := strings.CutPrefix(format, "floored:"); ok {
		if string(raw) == "null" {
			return "under " + f, nil
		}
		format = "int"
	}
	if format == "text" {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	if format == "holds" {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		if b {
			return "holds", nil
		}
		return "BROKEN", nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("page: %s is not a number: %w", raw, err)
	}
	switch format {
	case "int":
		return group(int64(math.Round(v))), nil
	case "dec2":
		return strconv.FormatFloat(v, 'f', 2, 64), nil
	case "dec3":
		return strconv.FormatFloat(v, 'f', 3, 64), nil
	case "pct":
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%", nil
	case "percent":
		return strconv.FormatFloat(v, 'f', -1, 64) + "%", nil
	case "sec":
		return strconv.FormatFloat(v, 'f', 1, 64) + " s", nil
	}
	return "", fmt.Errorf("page: no format %q", format)
}

// group writes n with its digits in groups of three: 166,618.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Image is a chart drawn as a PNG file, to be written beside its page.
type Image struct {
	Name string // the chart's ID + ".png"
	PNG  []byte
}

// Render writes the page as one self-contained HTML document, its charts
// inline as SVG, and returns the charts as PNG images too; pngDir is the
// directory the page links them from, relative to it.
func Render(p *Page, pngDir string) (html []byte, images []Image, err error) {
	type chartView struct {
		*Chart
		SVG template.HTML
		PNG string
	}
	type itemView struct {
		Text  string
		Table *Table
		Chart *chartView
		Fold  bool
	}
	type sectionView struct {
		ID, Title string
		Items     []itemView
	}
	view := struct {
		Title    string
		Lead     []string
		Sections []sectionView
		Style    template.CSS
	}{Title: p.Title, Lead: p.Lead, Style: template.CSS(style)}
	for _, s := range p.Sections {
		sv := sectionView{ID: s.ID, Title: s.Title}
		for _, it := range s.Items {
			iv := itemView{Text: it.Text, Table: it.Table, Fold: it.Fold}
			if it.Chart != nil {
				svg, png, err := it.Chart.draw()
				if err != nil {
					return nil, nil, fmt.Errorf("page: chart %s: %w", it.Chart.ID, err)
				}
				name := it.Chart.ID + ".png"
				images = append(images, Image{Name: name, PNG: png})
				iv.Chart = &chartView{Chart: it.Chart, SVG: template.HTML(svg), PNG: pngDir + "/" + name}
			}
			sv.Items = append(sv.Items, iv)
		}
		view.Sections = append(view.Sections, sv)
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, view); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), images, nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.Style}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{range .Lead}}<p class="lead">{{.}}</p>
{{end}}<nav><ul>{{range .Sections}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}</ul></nav>
</header>
{{range .Sections}}<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{range .Items}}{{if .Text}}<p>{{.Text}}</p>
{{end}}{{if .Fold}}<details><summary>{{.Table.Caption}}</summary>
{{template "table" .Table}}</details>
{{else}}{{with .Table}}{{template "table" .}}{{end}}{{end}}{{with .Chart}}<figure data-chart="{{.ID}}">
<figcaption>{{.Title}}</figcaption>
{{.SVG}}
<p class="png"><a href="{{.PNG}}">PNG</a></p>
{{with .Data}}<details><summary>The numbers</summary>
{{template "table" .}}</details>{{end}}
</figure>
{{end}}{{end}}</section>
{{end}}</body>
</html>
{{define "table"}}<table data-table="{{.ID}}">{{with .Caption}}<caption>{{.}}</caption>{{end}}
{{with .Header}}<thead><tr>{{range .}}<th>{{.}}</th>{{end}}</tr></thead>{{end}}
<tbody>{{range .Rows}}<tr>{{range .}}{{if .Field}}<td class="num {{.Class}}" data-field="{{.Field}}" data-value="{{.Value}}" data-format="{{.Format}}">{{.Text}}</td>{{else}}<td class="{{.Class}}">{{.Text}}</td>{{end}}{{end}}</tr>
{{end}}</tbody>
</table>
{{end}}`))

const style = `
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #1d2330; max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #d9dee8; padding-bottom: .2rem; margin-top: 2.2rem; }
p.lead { color: #4a5468; margin: .2rem 0; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; font-size: .95rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; min-width: 22rem; }
caption { text-align: left; font-weight: bold; padding-bottom: .3rem; }
th, td { padding: .25rem .7rem; border-bottom: 1px solid #e3e7ef; text-align: left; vertical-align: top; }
th { background: #f3f5f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.ok { color: #1a7f37; }
td.bad { color: #b42318; font-weight: bold; }
figure { margin: 1.2rem 0; }
figcaption { font-weight: bold; margin-bottom: .3rem; }
figure svg { width: 100%; max-width: 44rem; height: auto; display: block; }
p.png { font-size: .8rem; margin: .1rem 0; }
details { margin: .2rem 0 .8rem; font-size: .9rem; }
`
