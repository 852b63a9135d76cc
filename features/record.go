package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Account is one account of one app, as the app's accounts table holds it.
// Zero values mean unknown.
type Account struct {
	App             string    `json:"app"`
	UserID          string    `json:"user_id"`
	Phone           string    `json:"phone"`      // as typed; NormalizePhone makes it E.164
	Country         string    `json:"country"`    // ISO 3166 alpha-2, upper case
	BirthYear       int       `json:"birth_year"` // 0: unknown
	Age             int       `json:"age"`        // 0: unknown; used when BirthYear is unknown
	Gender          Gender    `json:"gender"`
	OS              string    `json:"os"`      // lower case: android, ios, ...
	Carrier         string    `json:"carrier"` // lower case
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	ConsentAds      bool      `json:"consent_ads"`       // the person allows ads personalization
	ConsentCrossApp bool      `json:"consent_cross_app"` // the person allows combining this app's data with other apps'
	// Source and Line say where the account was read (a file or a
	// table's stream, and its line or row), so a rejection later on can
	// name them.
	Source string `json:"source,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// RecordID is a user id as a dead letter may name it: left out when it
// could be a phone number or a hash (apps that key users by phone), since
// a dead letter never holds one; the file and line still find the row.
func RecordID(userID string) string {
	if CouldBePhone(userID) {
		return ""
	}
	return userID
}

// Event is one thing an account did.
type Event struct {
	App      string    `json:"app"`
	UserID   string    `json:"user_id"`
	Time     time.Time `json:"time"`
	Type     EventType `json:"type"`
	Category Category  `json:"category"`
}

// Gender is an account's declared gender, reduced to what the features use.
type Gender string

// The genders features distinguish.
const (
	GenderUnknown Gender = ""
	GenderFemale  Gender = "female"
	GenderMale    Gender = "male"
	GenderOther   Gender = "other"
)

// ParseGender maps the spellings apps use onto a Gender; anything else that
// is not empty is GenderOther.
func ParseGender(s string) Gender {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return GenderUnknown
	case "f", "female", "w", "woman":
		return GenderFemale
	case "m", "male", "man":
		return GenderMale
	default:
		return GenderOther
	}
}

// EventType is the kind of an event. Types an app sends that sosie does not
// know count as EventOther.
type EventType uint8

// The event types, in the order of the features that count them.
const (
	EventLike EventType = iota
	EventComment
	EventShare
	EventFollow
	EventStoryView
	EventMessageSent
	EventGroupJoin
	EventBusinessChat
	EventAdClick
	EventPurchase
	EventOther
	NumEventTypes = int(EventOther) + 1
)

var eventTypeNames = [NumEventTypes]string{
	"like", "comment", "share", "follow", "story_view", "message_sent",
	"group_join", "business_chat", "ad_click", "purchase", "other",
}

func (t EventType) String() string {
	if int(t) < NumEventTypes {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText writes the type's name.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type name; see ParseEventType.
func (t *EventType) UnmarshalText(b []byte) error {
	*t = ParseEventType(string(b))
	return nil
}

// ParseEventType returns the type named s (case and surrounding space
// ignored), or EventOther.
func ParseEventType(s string) EventType {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range eventTypeNames {
		if n == s {
			return EventType(i)
		}
	}
	return EventOther
}

// Category is the content category an event was about.
type Category uint8

// The content categories. CategoryNone is an event with no category (a
// message, a follow); categories sosie does not know count as CategoryOther.
const (
	CategorySports Category = iota
	CategoryTravel
	CategoryBeauty
	CategoryGaming
	CategoryFinance
	CategoryFood
	CategoryFashion
	CategoryMusic
	CategoryNews
	CategoryTech
	CategoryFamily
	CategoryOther
	NumCategories = int(CategoryOther) + 1
	CategoryNone  = Category(255)
)

var categoryNames = [NumCategories]string{
	"sports", "travel", "beauty", "gaming", "finance", "food", "fashion",
	"music", "news", "tech", "family", "other",
}

func (c Category) String() string {
	if c == CategoryNone {
		return ""
	}
	if int(c) < NumCategories {
		return categoryNames[c]
	}
	return "Category(" + strconv.Itoa(int(c)) + ")"
}

// MarshalText writes the category's name ("" for CategoryNone).
func (c Category) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a category name; see ParseCategory.
func (c *Category) UnmarshalText(b []byte) error {
	*c = ParseCategory(string(b))
	return nil
}

// ParseCategory returns the category named s (case and surrounding space
// ignored), CategoryNone for an empty s, or CategoryOther.
func ParseCategory(s string) Category {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return CategoryNone
	}
	for i, n := range categoryNames {
		if n == s {
			return Category(i)
		}
	}
	return CategoryOther
}

// Row is one source record, whatever its format: a CSV line with its
// header, a JSON object, a BigQuery row.
type Row interface {
	// Field returns the value of a column as text; ok is false when the
	// row has no such column or the value is null.
	Field(column string) (value string, ok bool)
}

// MapRow is a Row of named text values.
type MapRow map[string]string

// Field implements Row.
func (r MapRow) Field(column string) (string, bool) {
	v, ok := r[column]
	return v, ok
}

// JSONRow is a Row decoded from a JSON object. Decode it with
// json.Decoder.UseNumber so that large ids keep their digits.
type JSONRow map[string]any

// Field implements Row: strings as they are, numbers and booleans as JSON
// writes them; null, objects and arrays are absent.
func (r JSONRow) Field(column string) (string, bool) {
	switch v := r[column].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	default:
		return "", false
	}
}

// CSVRow is a Row over a CSV record and its header's column positions.
type CSVRow struct {
	Columns map[string]int // column name to index in Values
	Values  []string
}

// Field implements Row.
func (r CSVRow) Field(column string) (string, bool) {
	i, ok := r.Columns[column]
	if !ok || i >= len(r.Values) {
		return "", false
	}
	return r.Values[i], true
}

// FieldError says which field of a record could not be decoded, from which
// source column, and why. It never quotes a phone number or a user id.
type FieldError struct {
	Field  string // the Account or Event field, e.g. "created_at"
	Column string // the source column it is read from
	Err    error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("features: field %s (column %q): %v", e.Field, e.Column, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Errors a FieldError wraps.
var (
	ErrMissingField = &RejectError{ReasonMissingCol, "required field missing or empty"}
	ErrBadField     = &RejectError{ReasonBadField, "field cannot be decoded"}
)

// AccountColumns maps Account fields to source column names. An empty entry
// means the field's default name (its JSON name, e.g. "user_id"); "-" means
// the source has no such column.
type AccountColumns struct {
	UserID          string `yaml:"user_id" json:"user_id,omitempty"`
	Phone           string `yaml:"phone" json:"phone,omitempty"`
	Country         string `yaml:"country" json:"country,omitempty"`
	BirthYear       string `yaml:"birth_year" json:"birth_year,omitempty"`
	Age             string `yaml:"age" json:"age,omitempty"`
	Gender          string `yaml:"gender" json:"gender,omitempty"`
	OS              string `yaml:"os" json:"os,omitempty"`
	Carrier         string `yaml:"carrier" json:"carrier,omitempty"`
	CreatedAt       string `yaml:"created_at" json:"created_at,omitempty"`
	UpdatedAt       string `yaml:"updated_at" json:"updated_at,omitempty"`
	ConsentAds      string `yaml:"consent_ads" json:"consent_ads,omitempty"`
	ConsentCrossApp string `yaml:"consent_cross_app" json:"consent_cross_app,omitempty"`
}

// EventColumns maps Event fields to source column names, as AccountColumns.
type EventColumns struct {
	UserID   string `yaml:"user_id" json:"user_id,omitempty"`
	Time     string `yaml:"time" json:"time,omitempty"`
	Type     string `yaml:"type" json:"type,omitempty"`
	Category string `yaml:"category" json:"category,omitempty"`
}

func column(mapped, field string) string {
	if mapped == "" {
		return field
	}
	return mapped
}

// Required returns the source columns a file or table of accounts must
// have, as mapped by c: one whose header lacks one holds no usable
// account. The phone is among them: apps are joined by it (a row's phone
// may be empty; a file without the column is a mapping mistake).
func (c AccountColumns) Required() []string {
	return requiredColumns(column(c.UserID, "user_id"), column(c.Phone, "phone"))
}

// Required returns the source columns a row of events must have, as
// mapped by c.
func (c EventColumns) Required() []string {
	return requiredColumns(column(c.UserID, "user_id"), column(c.Time, "time"), column(c.Type, "type"))
}

// Columns maps each Account field to the source column it is read from,
// leaving out the fields mapped to no column ("-").
func (c AccountColumns) Columns() map[string]string {
	return columnsOf(map[string]string{"user_id": c.UserID, "phone": c.Phone, "country": c.Country, "birth_year": c.BirthYear,
		"age": c.Age, "gender": c.Gender, "os": c.OS, "carrier": c.Carrier, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt,
		"consent_ads": c.ConsentAds, "consent_cross_app": c.ConsentCrossApp})
}

// Columns maps each Event field to the source column it is read from.
func (c EventColumns) Columns() map[string]string {
	return columnsOf(map[string]string{"user_id": c.UserID, "time": c.Time, "type": c.Type, "category": c.Category})
}

func columnsOf(mapped map[string]string) map[string]string {
	out := map[string]string{}
	for field, m := range mapped {
		if col := column(m, field); col != "-" {
			out[field] = col
		}
	}
	return out
}

func requiredColumns(cols ...string) []string {
	out := cols[:0]
	for _, c := range cols {
		if c != "-" {
			out = append(out, c)
		}
	}
	return out
}

// fieldReader reads mapped fields from a row and keeps the first error.
type fieldReader struct {
	row Row
	err error
}

func (r *fieldReader) text(mapped, field string, required bool) string {
	col := column(mapped, field)
	if col == "-" {
		if required && r.err == nil {
			r.err = &FieldError{field, col, fmt.Errorf("%w: mapped to no column", ErrMissingField)}
		}
		return ""
	}
	v, ok := r.row.Field(col)
	v = strings.TrimSpace(v)
	if required && (!ok || v == "") && r.err == nil {
		r.err = &FieldError{field, col, ErrMissingField}
	}
	return v
}

func (r *fieldReader) fail(mapped, field string, err error) {
	if r.err == nil {
		r.err = &FieldError{field, column(mapped, field), fmt.Errorf("%w: %v", ErrBadField, err)}
	}
}

func (r *fieldReader) int(mapped, field string) int {
	v := r.text(mapped, field, false)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		// JSON sources may write integers as 1990.0.
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != float64(int(f)) {
			r.fail(mapped, field, errors.New("not an integer"))
			return 0
		}
		n = int(f)
	}
	return n
}

func (r *fieldReader) time(mapped, field string, required bool) time.Time {
	v := r.text(mapped, field, required)
	if v == "" {
		return time.Time{}
	}
	t, err := ParseTime(v)
	if err != nil {
		r.fail(mapped, field, err)
	}
	return t
}

func (r *fieldReader) bool(mapped, field string) bool {
	v := r.text(mapped, field, false)
	switch strings.ToLower(v) {
	case "", "0", "false", "f", "no", "n":
		return false
	case "1", "true", "t", "yes", "y":
		return true
	}
	r.fail(mapped, field, errors.New("not a boolean (want true or false, 1 or 0, yes or no)"))
	return false
}

// ErrTimestamp is a value ParseTime cannot read. Like every error of a
// record's field, it does not quote the value.
var ErrTimestamp = errors.New("not a timestamp from 1970 to 2100 (want RFC 3339, 2006-01-02 15:04:05, a date, or Unix seconds or milliseconds)")

// Timestamps outside these years are not times of social apps' records:
// a phone number typed into a time column reads as Unix seconds in the
// 25th century.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ParseTime reads the timestamp formats warehouses export: RFC 3339 (with or
// without fractional seconds), "2006-01-02 15:04:05" (UTC), a bare date, or
// Unix seconds or milliseconds (digits only), from 1970 to 2100.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, ok := parseTime(s)
	if !ok || t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, ErrTimestamp
	}
	return t, nil
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if n > 1e11 { // milliseconds: a date past 5138 in seconds
		return time.UnixMilli(n).UTC(), true
	}
	return time.Unix(n, 0).UTC(), true
}

// DecodeAccount reads an Account of app from row through the mapping c.
// user_id is required; every other field may be absent. The error is a
// *FieldError naming the first bad field.
func (c AccountColumns) DecodeAccount(app string, row Row) (Account, error) {
	r := fieldReader{row: row}
	a := Account{App: app}
	a.UserID = r.text(c.UserID, "user_id", true)
	a.Phone = r.text(c.Phone, "phone", false)
	if cc := r.text(c.Country, "country", false); cc != "" {
		var ok bool
		if a.Country, ok = ParseCountry(cc); !ok {
			r.fail(c.Country, "country", errors.New("not an ISO 3166 alpha-2 code"))
		}
	}
	a.BirthYear = r.int(c.BirthYear, "birth_year")
	a.Age = r.int(c.Age, "age")
	a.Gender = ParseGender(r.text(c.Gender, "gender", false))
	a.OS = strings.ToLower(r.text(c.OS, "os", false))
	a.Carrier = strings.ToLower(r.text(c.Carrier, "carrier", false))
	// Free text is carried on to the persons: a phone typed into it would
	// be too.
	if CouldBePhone(a.OS) {
		r.fail(c.OS, "os", errors.New("holds what could be a phone number"))
	}
	if CouldBePhone(a.Carrier) {
		r.fail(c.Carrier, "carrier", errors.New("holds what could be a phone number"))
	}
	a.CreatedAt = r.time(c.CreatedAt, "created_at", false)
	a.UpdatedAt = r.time(c.UpdatedAt, "updated_at", false)
	a.ConsentAds = r.bool(c.ConsentAds, "consent_ads")
	a.ConsentCrossApp = r.bool(c.ConsentCrossApp, "consent_cross_app")
	if r.err != nil {
		return Account{}, r.err
	}
	return a, nil
}

// DecodeEvent reads an Event of app from row through the mapping c.
// user_id, time and type are required.
func (c EventColumns) DecodeEvent(app string, row Row) (Event, error) {
	r := fieldReader{row: row}
	e := Event{App: app}
	e.UserID = r.text(c.UserID, "user_id", true)
	e.Time = r.time(c.Time, "time", true)
	e.Type = ParseEventType(r.text(c.Type, "type", true))
	e.Category = ParseCategory(r.text(c.Category, "category", false))
	if r.err != nil {
		return Event{}, r.err
	}
	return e, nil
}
