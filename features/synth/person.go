package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/sosie-dev/sosie/features"
)

// subtype is one kind of customer of the hidden segment: the interests,
// apps, devices, ages and habits that set it apart. Every effect is a shift
// of a distribution everybody draws from, so customers and everybody else
// overlap: the signal is learnable, not a give-away.
type subtype struct {
	name      string
	interests map[features.Category]float64 // multipliers of the person's interest weights
	events    map[features.EventType]float64
	apps      map[string]float64 // probability of being on the app, replacing the base
	ageLo     int
	ageHi     int
	android   float64 // multiplier of the country's Android share
}

var subtypes = []subtype{
	{
		name:      "traveller",
		interests: map[features.Category]float64{features.CategoryTravel: 5, features.CategoryFood: 2.5, features.CategoryFashion: 2, features.CategoryBeauty: 1.5},
		events:    map[features.EventType]float64{features.EventStoryView: 2, features.EventPurchase: 4, features.EventAdClick: 3},
		apps:      map[string]float64{"instagram": 0.85},
		ageLo:     25, ageHi: 45, android: 0.6,
	},
	{
		name:      "gamer",
		interests: map[features.Category]float64{features.CategoryGaming: 5, features.CategoryTech: 2.5, features.CategoryMusic: 2},
		events:    map[features.EventType]float64{features.EventBusinessChat: 4, features.EventMessageSent: 1.5, features.EventGroupJoin: 3, features.EventPurchase: 2},
		apps:      map[string]float64{"whatsapp": 0.85},
		ageLo:     18, ageHi: 35, android: 1.25,
	},
	{
		name:      "investor",
		interests: map[features.Category]float64{features.CategoryFinance: 5, features.CategoryNews: 3, features.CategoryTech: 1.5},
		events:    map[features.EventType]float64{features.EventGroupJoin: 3, features.EventAdClick: 3.5, features.EventComment: 2, features.EventShare: 2},
		apps:      map[string]float64{"facebook": 0.9},
		ageLo:     35, ageHi: 65, android: 0.9,
	},
}

// Base probability of being on an app, and what people do there.
var (
	appPresence = map[string]float64{"facebook": 0.72, "instagram": 0.5, "whatsapp": 0.68, "messenger": 0.38}
	appEvents   = map[string][features.NumEventTypes]float64{
		//            like comm share foll story msg  group bchat adclk purch other
		"facebook":  {30, 10, 8, 4, 8, 0, 3, 0, 3, 1, 3},
		"instagram": {35, 8, 5, 8, 30, 0, 0, 0, 3, 1, 2},
		"whatsapp":  {0, 0, 4, 0, 6, 60, 4, 4, 0, 0.5, 2},
		"messenger": {0, 0, 5, 0, 2, 55, 1, 3, 0, 0.5, 2},
	}
	// Age bands of the population: lower bound, upper bound (exclusive), share.
	ageDist = []struct {
		lo, hi int
		p      float64
	}{{13, 18, 0.05}, {18, 25, 0.17}, {25, 35, 0.24}, {35, 45, 0.20}, {45, 55, 0.15}, {55, 65, 0.11}, {65, 90, 0.08}}
	phoneStyleWeights = [numStyles]float64{35, 15, 20, 15, 5, 5, 5}
	separators        = []string{" ", " ", ".", "-"}
	junkPhones        = []string{"n/a", "unknown", "000", "-", "none", "x"}
)

// persona is one person's hidden truth.
type persona struct {
	c          *country
	nsn        string
	e164       string
	subtype    int // -1: not a customer
	birthYear  int
	gender     features.Gender
	android    bool
	carrier    string
	activity   float64
	interests  [features.NumCategories]float64 // cumulative, normalized
	consentAds bool
	consentX   bool
	tenure     float64 // years, of the oldest account
}

func (g *generator) pickCountry(rng *rand.Rand) int {
	u := rng.Float64() * g.countryCum[len(g.countryCum)-1]
	for i, c := range g.countryCum {
		if u < c {
			return i
		}
	}
	return len(g.countryCum) - 1
}

func lognormal(rng *rand.Rand, sigma float64) float64 {
	// Mean 1.
	return math.Exp(rng.NormFloat64()*sigma - sigma*sigma/2)
}

// gamma draws from Gamma(shape, 1) for shape < 1 (Ahrens–Dieter via boost).
func gamma(rng *rand.Rand, shape float64) float64 {
	// Marsaglia–Tsang on shape+1, then the boost u^(1/shape).
	d := shape + 1 - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v * math.Pow(rng.Float64(), 1/shape)
		}
	}
}

// poisson draws a Poisson count; a normal approximation past mean 30.
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (g *generator) newPersona(rng *rand.Rand) persona {
	ci := g.pickCountry(rng)
	c := &countries[ci]
	k := g.countryCounter[ci]
	g.countryCounter[ci]++
	if k >= c.capacity() {
		k %= c.capacity() // past a country's numbers, persons share them: 50M persons stay far below
	}
	p := persona{c: c, nsn: c.nsn(k), subtype: -1}
	p.e164 = "+" + c.cc + p.nsn

	var affinity *subtype
	strength := 1.0
	if rng.Float64() < g.cfg.CustomerRate {
		p.subtype = rng.IntN(len(subtypes))
		affinity = &subtypes[p.subtype]
	} else if rng.Float64() < 0.08 {
		// Some people share a customer kind's tastes without being
		// customers: the overlap that makes lookalikes a ranking problem.
		affinity, strength = &subtypes[rng.IntN(len(subtypes))], 0.5
	}

	// Age.
	u, age := rng.Float64(), 30
	for _, b := range ageDist {
		if u < b.p {
			age = b.lo + rng.IntN(b.hi-b.lo)
			break
		}
		u -= b.p
	}
	if affinity != nil && rng.Float64() < 0.6*strength {
		age = affinity.ageLo + rng.IntN(affinity.ageHi-affinity.ageLo)
	}
	p.birthYear = g.cfg.AsOf.Year() - age
	switch r := rng.Float64(); {
	case r < 0.49:
		p.gender = features.GenderFemale
	case r < 0.97:
		p.gender = features.GenderMale
	default:
		p.gender = features.GenderOther
	}
	androidShare := c.android
	if affinity != nil {
		androidShare = min(0.98, androidShare*math.Pow(affinity.android, strength))
	}
	p.android = rng.Float64() < androidShare
	p.carrier = c.carriers[rng.IntN(len(c.carriers))]
	p.activity = lognormal(rng, 0.8)
	if affinity != nil {
		p.activity *= math.Pow(1.5, strength) // customers use the apps more
	}

	var w [features.NumCategories]float64
	total := 0.0
	for j := range w {
		w[j] = gamma(rng, 0.7)
		if affinity != nil {
			if m, ok := affinity.interests[features.Category(j)]; ok {
				w[j] *= math.Pow(m, strength)
			}
		}
		total += w[j]
	}
	cum := 0.0
	for j := range w {
		cum += w[j] / total
		p.interests[j] = cum
	}
	p.consentAds = rng.Float64() < 0.85
	p.consentX = rng.Float64() < 0.7
	p.tenure = min(15, rng.ExpFloat64()*4)
	return p
}

func (p *persona) category(rng *rand.Rand) features.Category {
	u := rng.Float64()
	for j, c := range p.interests {
		if u < c {
			return features.Category(j)
		}
	}
	return features.CategoryOther
}

func (g *generator) person(i uint64) error {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, i))
	p := g.newPersona(rng)
	var sub *subtype
	if p.subtype >= 0 {
		sub = &subtypes[p.subtype]
		g.st.Customers++
	}

	// Which apps.
	on := make([]bool, len(g.cfg.Apps))
	onSome := false
	for a, app := range g.cfg.Apps {
		prob, ok := appPresence[app]
		if !ok {
			prob = 0.5
		}
		if sub != nil {
			if q, ok := sub.apps[app]; ok {
				prob = q
			}
		}
		on[a] = rng.Float64() < prob
		onSome = onSome || on[a]
	}
	if !onSome {
		on[rng.IntN(len(on))] = true
	}
	for a, app := range g.cfg.Apps {
		if !on[a] {
			continue
		}
		if err := g.account(rng, &p, sub, a, app, i, false); err != nil {
			return err
		}
		if rng.Float64() < 0.01 { // a forgotten second account on the same app
			if err := g.account(rng, &p, sub, a, app, i|1<<56, true); err != nil {
				return err
			}
		}
	}

	if sub != nil {
		inSeed := rng.Float64() < g.seedProb
		if inSeed {
			g.st.SeedCustomers++
			g.seedRow(rng, &p)
			if rng.Float64() < 0.01 { // the advertiser's CRM has the customer twice
				g.seedRow(rng, &p)
			}
		}
		b := g.buf[:0]
		b = append(b, p.e164...)
		b = append(b, ',')
		b = append(b, p.c.code...)
		b = append(b, ',')
		b = append(b, sub.name...)
		b = append(b, ',')
		b = strconv.AppendBool(b, inSeed)
		b = append(b, '\n')
		g.truth.w.Write(b)
		g.buf = b
	}
	// Junk rows in the seed list, as every CRM export has.
	if rng.Float64() < g.seedProb*g.cfg.CustomerRate*0.02 {
		g.seedJunk(rng)
	}
	return nil
}

// writtenPhone is how one account or seed row writes a person's phone.
func writtenPhone(rng *rand.Rand, p *persona) string {
	u := rng.Float64() * 100
	style := phoneStyle(0)
	for s, w := range phoneStyleWeights {
		if u < w {
			style = phoneStyle(s)
			break
		}
		u -= w
	}
	return p.c.format(p.nsn, style, separators[rng.IntN(len(separators))])
}

func (g *generator) account(rng *rand.Rand, p *persona, sub *subtype, appIndex int, app string, id uint64, duplicate bool) error {
	cfg := &g.cfg
	a := features.Account{App: app, UserID: userID(app, appIndex, id)}

	switch u := rng.Float64(); {
	case u < 0.02:
		a.Phone = ""
	case u < 0.03:
		a.Phone = junkPhones[rng.IntN(len(junkPhones))]
	case u < 0.045:
		// A digit lost or added: not a valid number any more.
		ph := writtenPhone(rng, p)
		if rng.IntN(2) == 0 {
			a.Phone = ph[:len(ph)-2]
		} else {
			a.Phone = ph + "55"
		}
	default:
		a.Phone = writtenPhone(rng, p)
	}
	switch u := rng.Float64(); {
	case u < 0.08:
	case u < 0.13:
		a.Country = string([]byte{p.c.code[0] + 'a' - 'A', p.c.code[1] + 'a' - 'A'})
	default:
		a.Country = p.c.code
	}
	if rng.Float64() > 0.15 {
		a.BirthYear = p.birthYear
		if rng.Float64() < 0.03 {
			a.BirthYear += 1 - 2*rng.IntN(2) // apps disagree a little
		}
	}
	if rng.Float64() > 0.10 {
		a.Gender = p.gender
	}
	if rng.Float64() > 0.05 {
		a.OS = "ios"
		if p.android {
			a.OS = "android"
		}
	}
	if rng.Float64() > 0.08 {
		a.Carrier = p.carrier
	}
	tenure := p.tenure * (0.3 + 0.7*rng.Float64())
	if duplicate {
		tenure *= 0.5
	}
	a.CreatedAt = cfg.AsOf.Add(-time.Duration(tenure * 365.25 * 24 * float64(time.Hour))).Truncate(time.Second)
	a.UpdatedAt = a.CreatedAt.Add(time.Duration(rng.Float64() * float64(cfg.AsOf.Sub(a.CreatedAt)))).Truncate(time.Second)
	a.ConsentAds = p.consentAds != (rng.Float64() < 0.05)
	a.ConsentCrossApp = p.consentX != (rng.Float64() < 0.05)
	g.writeAccount(appIndex, &a)

	// Events.
	weights, ok := appEvents[app]
	if !ok {
		weights = appEvents["facebook"]
	}
	var cum [features.NumEventTypes]float64
	total := 0.0
	for t, w := range weights {
		if sub != nil {
			if m, ok := sub.events[features.EventType(t)]; ok {
				w *= m
			}
		}
		total += w
		cum[t] = total
	}
	mean := cfg.EventsMean * p.activity * lognormal(rng, 0.5)
	if duplicate {
		mean *= 0.2
	}
	n := poisson(rng, mean)
	window := time.Duration(cfg.WindowDays) * 24 * time.Hour
	for range n {
		var at time.Time
		switch u := rng.Float64(); {
		case u < 0.01: // arrives after the as-of time: must be ignored
			at = cfg.AsOf.Add(time.Duration(rng.Float64() * 3 * 24 * float64(time.Hour)))
		case u < 0.03: // older than the window
			at = cfg.AsOf.Add(-window - time.Duration(rng.Float64()*30*24*float64(time.Hour)))
		default:
			at = cfg.AsOf.Add(-time.Duration(rng.Float64() * float64(window)))
		}
		u := rng.Float64() * total
		typ := features.EventOther
		for t, c := range cum {
			if u < c {
				typ = features.EventType(t)
				break
			}
		}
		cat := features.CategoryNone
		switch typ {
		case features.EventMessageSent:
		case features.EventBusinessChat:
			if rng.IntN(2) == 0 {
				cat = p.category(rng)
			}
		default:
			cat = p.category(rng)
		}
		g.writeEvent(appIndex, a.UserID, at.Truncate(time.Second), typ, cat)
	}
	return nil
}

func (g *generator) seedRow(rng *rand.Rand, p *persona) {
	format := g.cfg.SeedFormat
	if format == SeedMixed {
		format = []SeedFormat{SeedPlain, SeedSHA256E164, SeedSHA256Digits}[rng.IntN(3)]
	}
	var phone string
	switch format {
	case SeedSHA256E164:
		phone = sha256Hex(p.e164)
		if rng.IntN(4) == 0 {
			phone = upperHex(phone) // some tools write hex in upper case
		}
	case SeedSHA256Digits:
		phone = sha256Hex(p.e164[1:])
	default:
		phone = writtenPhone(rng, p)
	}
	value := strconv.FormatFloat(math.Round(40*lognormal(rng, 0.9)*100)/100, 'f', 2, 64)
	g.writeSeed(phone, p.c.code, value, rng)
}

func (g *generator) seedJunk(rng *rand.Rand) {
	junk := []string{"", "n/a", "0000", "abc123", sha256Hex("not a phone")[:40]}
	g.writeSeed(junk[rng.IntN(len(junk))], "", "", rng)
}

func (g *generator) writeSeed(phone, country, value string, rng *rand.Rand) {
	g.st.SeedRows++
	b := g.buf[:0]
	b = append(b, phone...)
	b = append(b, ',')
	if g.cfg.SeedFormat.hasCountry() {
		if rng.Float64() > 0.03 { // a few rows lack their country
			b = append(b, country...)
		}
		b = append(b, ',')
	}
	b = append(b, value...)
	b = append(b, '\n')
	g.seed.w.Write(b)
	g.buf = b
}

func upperHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// testAccounts writes, per app, accounts of testers and placeholders that
// all carry one of a few shared numbers.
func (g *generator) testAccounts() error {
	rng := rand.New(rand.NewPCG(g.cfg.Seed^0x7e57, uint64(len(g.cfg.Apps))))
	for a, app := range g.cfg.Apps {
		n := max(24, g.cfg.Persons/250)
		for j := range n {
			sharedIdx := j % len(g.sharedNumbers)
			c := &countries[sharedIdx]
			p := persona{c: c, nsn: g.sharedNumbers[sharedIdx][1+len(c.cc):], subtype: -1, activity: 0.3}
			p.e164 = g.sharedNumbers[sharedIdx]
			p.interests[features.NumCategories-1] = 1
			acc := features.Account{App: app, UserID: userID(app, a, uint64(j)|1<<57), Phone: writtenPhone(rng, &p), Country: c.code,
				CreatedAt: g.cfg.AsOf.AddDate(0, -rng.IntN(48), 0), ConsentAds: true}
			acc.UpdatedAt = acc.CreatedAt
			g.writeAccount(a, &acc)
			g.st.TestAccounts[app]++
			for range poisson(rng, 3) {
				at := g.cfg.AsOf.Add(-time.Duration(rng.Float64() * float64(time.Duration(g.cfg.WindowDays)*24*time.Hour)))
				g.writeEvent(a, acc.UserID, at.Truncate(time.Second), features.EventOther, features.CategoryNone)
			}
		}
	}
	return nil
}
