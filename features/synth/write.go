package synth

import (
	"strconv"
	"time"

	"github.com/sosie-dev/sosie/features"
)

// The writers append to one reused buffer: a world of ten million persons
// writes some hundred million lines, and formatting them must not be where
// the time goes. Every value the world writes is plain ASCII without quotes,
// commas or control characters, so CSV needs no quoting; JSON strings are
// escaped all the same.

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, time.RFC3339)
}

func (g *generator) writeAccount(app int, a *features.Account) {
	g.st.Accounts[a.App]++
	b := g.buf[:0]
	if g.cfg.Format == CSV {
		b = append(b, a.UserID...)
		b = append(b, ',')
		b = append(b, a.Phone...)
		b = append(b, ',')
		b = append(b, a.Country...)
		b = append(b, ',')
		if a.BirthYear != 0 {
			b = strconv.AppendInt(b, int64(a.BirthYear), 10)
		}
		b = append(b, ',')
		b = append(b, a.Gender...)
		b = append(b, ',')
		b = append(b, a.OS...)
		b = append(b, ',')
		b = append(b, a.Carrier...)
		b = append(b, ',')
		b = appendTime(b, a.CreatedAt)
		b = append(b, ',')
		b = appendTime(b, a.UpdatedAt)
		b = append(b, ',')
		b = strconv.AppendBool(b, a.ConsentAds)
		b = append(b, ',')
		b = strconv.AppendBool(b, a.ConsentCrossApp)
	} else {
		b = append(b, `{"user_id":`...)
		b = appendJSONString(b, a.UserID)
		b = append(b, `,"phone":`...)
		b = appendJSONString(b, a.Phone)
		if a.Country != "" {
			b = append(b, `,"country":`...)
			b = appendJSONString(b, a.Country)
		}
		if a.BirthYear != 0 {
			b = append(b, `,"birth_year":`...)
			b = strconv.AppendInt(b, int64(a.BirthYear), 10)
		}
		if a.Gender != "" {
			b = append(b, `,"gender":`...)
			b = appendJSONString(b, string(a.Gender))
		}
		if a.OS != "" {
			b = append(b, `,"os":`...)
			b = appendJSONString(b, a.OS)
		}
		if a.Carrier != "" {
			b = append(b, `,"carrier":`...)
			b = appendJSONString(b, a.Carrier)
		}
		b = append(b, `,"created_at":"`...)
		b = appendTime(b, a.CreatedAt)
		b = append(b, `","updated_at":"`...)
		b = appendTime(b, a.UpdatedAt)
		b = append(b, `","consent_ads":`...)
		b = strconv.AppendBool(b, a.ConsentAds)
		b = append(b, `,"consent_cross_app":`...)
		b = strconv.AppendBool(b, a.ConsentCrossApp)
		b = append(b, '}')
	}
	b = append(b, '\n')
	g.accounts[app].w.Write(b)
	g.buf = b
}

func (g *generator) writeEvent(app int, userID string, at time.Time, typ features.EventType, cat features.Category) {
	g.st.Events[g.cfg.Apps[app]]++
	b := g.buf[:0]
	if g.cfg.Format == CSV {
		b = append(b, userID...)
		b = append(b, ',')
		b = appendTime(b, at)
		b = append(b, ',')
		b = append(b, typ.String()...)
		b = append(b, ',')
		b = append(b, cat.String()...)
	} else {
		b = append(b, `{"user_id":`...)
		b = appendJSONString(b, userID)
		b = append(b, `,"time":"`...)
		b = appendTime(b, at)
		b = append(b, `","type":"`...)
		b = append(b, typ.String()...)
		b = append(b, '"')
		if cat != features.CategoryNone {
			b = append(b, `,"category":"`...)
			b = append(b, cat.String()...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, '\n')
	g.events[app].w.Write(b)
	g.buf = b
}
