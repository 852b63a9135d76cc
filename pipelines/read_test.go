package pipelines

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"

	"github.com/sosie-dev/sosie/features"
)

// parquetAccount is an account row as a Parquet writer stores it, with a
// real timestamp column.
type parquetAccount struct {
	UserID    string    `parquet:"user_id"`
	Phone     string    `parquet:"phone"`
	Country   string    `parquet:"country,optional"`
	BirthYear int32     `parquet:"birth_year"`
	CreatedAt time.Time `parquet:"created_at,timestamp(millisecond)"`
	Score     float64   `parquet:"score"`
}

// parquetEvent has no user_id column: a file no event can come from.
type parquetEvent struct {
	Account string    `parquet:"account"`
	Time    time.Time `parquet:"time,timestamp"`
	Type    string    `parquet:"type"`
}

func accountSummary(a features.Account) string {
	return fmt.Sprintf("%s|%s|%s|%d|%s", a.UserID, a.Phone, a.Country, a.BirthYear, a.CreatedAt.Format(time.RFC3339))
}

func deadSummary(d DeadLetter) string {
	return fmt.Sprintf("%s|%s|%d|%s|%d", filepath.Base(d.Source), d.Reason, d.Line, d.Stage, d.Rows)
}

func eventSummary(e features.Event) string {
	return e.UserID + "@" + e.Time.Format(time.RFC3339) + ":" + e.Type.String()
}

func init() {
	register.Function1x1(eventSummary)
	register.Function1x1(accountSummary)
	register.Function1x1(deadSummary)
}

// TestReadFormatsAndBadFiles reads accounts from JSONL, CSV and Parquet
// and checks that empty files and files without a required column are dead
// letters that account for every row, never a crash or a silent loss.
func TestReadFormatsAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	created := time.Date(2020, 5, 17, 8, 30, 0, 0, time.UTC)
	pq := filepath.Join(dir, "accounts.parquet")
	if err := parquet.WriteFile(pq, []parquetAccount{
		{UserID: "p1", Phone: "+33612345678", Country: "FR", BirthYear: 1990, CreatedAt: created},
		{UserID: "", Phone: "+33612345679", BirthYear: 1991, CreatedAt: created}, // no user id
	}); err != nil {
		t.Fatal(err)
	}
	badPQ := filepath.Join(dir, "events.parquet")
	if err := parquet.WriteFile(badPQ, []parquetEvent{{Account: "p1", Time: created, Type: "like"}, {Account: "p2", Time: created, Type: "like"}}); err != nil {
		t.Fatal(err)
	}
	files := []string{
		pq,
		write(t, dir, "a.jsonl", `{"user_id":"j1","phone":"+4915112345678","country":"DE","birth_year":1985,"created_at":"2019-01-02T03:04:05Z"}`+"\n"),
		write(t, dir, "a.csv", "user_id,phone,country\nc1,+447700900123,GB\n"),
		write(t, dir, "empty.jsonl", ""),
		write(t, dir, "empty.csv", "user_id,phone\n"),
		write(t, dir, "empty.parquet", ""),
		write(t, dir, "wrong.csv", "id,phone\nx1,+33612345678\nx2,+33612345679\nx3,\n"),
	}
	p, s := beam.NewPipelineWithRoot()
	accounts, dead, _ := ReadAccounts(s, "facebook", files, features.AccountColumns{})
	passert.Equals(s, beam.ParDo(s, accountSummary, accounts),
		"p1|+33612345678|FR|1990|2020-05-17T08:30:00Z",
		"j1|+4915112345678|DE|1985|2019-01-02T03:04:05Z",
		"c1|+447700900123|GB|0|0001-01-01T00:00:00Z")
	passert.Equals(s, beam.ParDo(s, deadSummary, dead),
		"accounts.parquet|missing_field|2|read|1",
		"empty.jsonl|empty_file|0|read|0",
		"empty.csv|empty_file|0|read|0",
		"empty.parquet|empty_file|0|read|0",
		"wrong.csv|missing_column|0|read|3")
	_, evDead, _ := ReadEvents(s, "facebook", []string{badPQ}, features.EventColumns{})
	passert.Equals(s, beam.ParDo(s, deadSummary, evDead), "events.parquet|missing_column|0|read|2")
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

// TestReadMappedParquetColumns maps a Parquet file's own column names.
func TestReadMappedParquetColumns(t *testing.T) {
	dir := t.TempDir()
	pq := filepath.Join(dir, "events.parquet")
	at := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	if err := parquet.WriteFile(pq, []parquetEvent{{Account: "u1", Time: at, Type: "like"}, {Account: "u2", Time: at, Type: "share"}}); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	events, dead, _ := ReadEvents(s, "instagram", []string{pq}, features.EventColumns{UserID: "account"})
	passert.Equals(s, beam.ParDo(s, eventSummary, events),
		"u1@2026-10-30T12:00:00Z:like", "u2@2026-10-30T12:00:00Z:share")
	passert.Empty(s, dead)
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

// TestReadAccountsEveryLine: one stray quote at the start of a field spoils
// its own line only; gzip is read by its name; UTF-16 and Latin-1 are
// decoded; every line of every file is accounted for in its InputFile.
func TestReadAccountsEveryLine(t *testing.T) {
	dir := t.TempDir()
	var csvBody strings.Builder
	csvBody.WriteString("user_id,phone,country\n")
	for i := 1; i <= 40; i++ {
		if i == 7 {
			fmt.Fprintf(&csvBody, "u%d,\"+3361234%04d,FR\n", i, i) // a stray quote: line 8
			continue
		}
		fmt.Fprintf(&csvBody, "u%d,+3361234%04d,FR\n", i, i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"user_id":"g1","phone":"+33612340001"}` + "\n\n" + `{"user_id":"g2","phone":"+33612340002"}` + " trailing\n"))
	zw.Close()
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range "user_id,phone\r\nw1,+33612340003\r\n" {
		utf16 = append(utf16, byte(r), 0)
	}
	files := []string{
		write(t, dir, "quote.csv", csvBody.String()),
		write(t, dir, "more.jsonl.gz", gz.String()),
		write(t, dir, "utf16.csv", string(utf16)),
		write(t, dir, "latin1.csv", "user_id,phone,carrier\nl1,+33612340004,soci\xe9t\xe9\n"),
		write(t, dir, "semicolons.csv", "user_id;phone;country\ns1;+33612340005;FR\n"),
	}
	p, s := beam.NewPipelineWithRoot()
	accounts, dead, inputs := ReadAccounts(s, "facebook", files, features.AccountColumns{})
	passert.Count(s, accounts, "accounts", 39+1+1+1+1)
	passert.Equals(s, beam.ParDo(s, deadSummary, dead), "quote.csv|bad_quote|8|read|1", "more.jsonl.gz|bad_line|3|read|1")
	passert.Equals(s, beam.ParDo(s, inputSummary, inputs),
		"quote.csv 41 = 1+0+39+1", "more.jsonl.gz 3 = 0+1+1+1", "utf16.csv 2 = 1+0+1+0", "latin1.csv 2 = 1+0+1+0", "semicolons.csv 2 = 1+0+1+0")
	passert.Equals(s, beam.ParDo(s, carrierOf, beam.ParDo(s, keepLatin1, accounts)), "société")
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
}

func keepLatin1(a features.Account, emit func(features.Account)) {
	if a.UserID == "l1" {
		emit(a)
	}
}

func carrierOf(a features.Account) string { return a.Carrier }

func init() {
	register.Function2x0(keepLatin1)
	register.Function1x1(carrierOf)
}

// TestOpenInputRefusesMisnamedGzip: gzip without .gz, or .gz that is not
// gzip, is refused by name rather than read as noise.
func TestOpenInputRefusesMisnamedGzip(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("user_id\n"))
	zw.Close()
	for name, body := range map[string]string{"hidden.csv": gz.String(), "fake.csv.gz": "user_id\n"} {
		path := write(t, dir, name, body)
		if _, err := OpenInput(context.Background(), path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
