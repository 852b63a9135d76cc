package features

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeAccountMapped(t *testing.T) {
	cols := AccountColumns{UserID: "uid", Phone: "msisdn", Country: "cc", BirthYear: "yob", CreatedAt: "signup", ConsentAds: "ads_ok", Age: "-"}
	row := MapRow{"uid": "42", "msisdn": "06 12 34 56 78", "cc": "fr", "yob": "1990", "gender": "F", "os": "Android",
		"carrier": "Orange", "signup": "2020-03-01", "updated_at": "2026-10-01T12:00:00Z", "ads_ok": "yes", "consent_cross_app": "0"}
	a, err := cols.DecodeAccount("facebook", row)
	if err != nil {
		t.Fatal(err)
	}
	want := Account{App: "facebook", UserID: "42", Phone: "06 12 34 56 78", Country: "FR", BirthYear: 1990, Gender: GenderFemale,
		OS: "android", Carrier: "orange", CreatedAt: time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC), ConsentAds: true}
	if a != want {
		t.Fatalf("got %+v\nwant %+v", a, want)
	}
}

func TestDecodeAccountJSON(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"user_id": 12345678901234567890, "phone": "+33612345678", "birth_year": 1985.0, "consent_ads": true, "created_at": 1700000000, "country": null}`))
	dec.UseNumber()
	var row JSONRow
	if err := dec.Decode(&row); err != nil {
		t.Fatal(err)
	}
	a, err := AccountColumns{}.DecodeAccount("whatsapp", row)
	if err != nil {
		t.Fatal(err)
	}
	if a.UserID != "12345678901234567890" || a.BirthYear != 1985 || !a.ConsentAds || a.CreatedAt.Unix() != 1700000000 || a.Country != "" {
		t.Fatalf("got %+v", a)
	}
}

func TestDecodeAccountErrors(t *testing.T) {
	cases := []struct {
		name  string
		cols  AccountColumns
		row   MapRow
		field string
		err   error
	}{
		{"no user id", AccountColumns{}, MapRow{"phone": "1"}, "user_id", ErrMissingField},
		{"blank user id", AccountColumns{}, MapRow{"user_id": "  "}, "user_id", ErrMissingField},
		{"user id mapped away", AccountColumns{UserID: "-"}, MapRow{"user_id": "1"}, "user_id", ErrMissingField},
		{"bad birth year", AccountColumns{}, MapRow{"user_id": "1", "birth_year": "nineteen"}, "birth_year", ErrBadField},
		{"bad time", AccountColumns{CreatedAt: "signup"}, MapRow{"user_id": "1", "signup": "yesterday"}, "created_at", ErrBadField},
		{"bad bool", AccountColumns{}, MapRow{"user_id": "1", "consent_ads": "maybe"}, "consent_ads", ErrBadField},
		{"bad country", AccountColumns{}, MapRow{"user_id": "1", "country": "France"}, "country", ErrBadField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cols.DecodeAccount("facebook", tc.row)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, tc.err) {
				t.Fatalf("error %v; want a FieldError on %s wrapping %v", err, tc.field, tc.err)
			}
			if ReasonOf(err) == "" {
				t.Fatalf("error %v carries no reason", err)
			}
		})
	}
}

func TestDecodeEvent(t *testing.T) {
	cols := EventColumns{Time: "ts"}
	header := map[string]int{"user_id": 0, "ts": 1, "type": 2, "category": 3}
	e, err := cols.DecodeEvent("instagram", CSVRow{header, []string{"7", "2026-10-30 08:00:00", "Story_View", "Travel"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.UserID != "7" || e.Type != EventStoryView || e.Category != CategoryTravel || !e.Time.Equal(time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %+v", e)
	}
	e, err = cols.DecodeEvent("instagram", CSVRow{header, []string{"7", "1761811200000", "reel_remix", ""}})
	if err != nil || e.Type != EventOther || e.Category != CategoryNone || e.Time.Unix() != 1761811200 {
		t.Fatalf("got %+v, %v", e, err)
	}
	if _, err := cols.DecodeEvent("instagram", CSVRow{header, []string{"7", "", "like"}}); !errors.Is(err, ErrMissingField) {
		t.Fatalf("missing time: %v", err)
	}
}

func TestEventTypeText(t *testing.T) {
	for i := range NumEventTypes {
		typ := EventType(i)
		b, _ := typ.MarshalText()
		var back EventType
		if err := back.UnmarshalText(b); err != nil || back != typ {
			t.Errorf("%v round trip: %v", typ, back)
		}
	}
	for i := range NumCategories {
		c := Category(i)
		if ParseCategory(c.String()) != c {
			t.Errorf("%v does not parse back", c)
		}
	}
	if ParseCategory("") != CategoryNone || ParseGender(" MALE ") != GenderMale || ParseGender("nb") != GenderOther {
		t.Error("category or gender parsing")
	}
}
