// Package page renders sosie's reports as pages people look at: one
// self-contained HTML file per page, its charts drawn with gonum/plot as
// inline SVG (and as PNG files beside it, for e-mail and slides), its
// tables plain HTML, with no script and nothing fetched from a network.
//
// A page is built from a report that is also written as JSON, and every
// number it shows is bound to the place in that JSON it comes from: the
// element that shows it carries data-field (a JSON pointer, RFC 6901),
// data-value (the value, as JSON) and data-format (how it is written,
// Format). A test can then check, through the browser's DOM, that the
// page shows exactly what the JSON holds.
package page
