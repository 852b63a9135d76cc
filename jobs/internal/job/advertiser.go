package job

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/pipelines"
)

// Count is a count an advertiser may see: nil when it is under the
// privacy floor (suppressed), so a small cell cannot single people out
// (features.Floored).
type Count = features.Floored

// AdvertiserReport is what an advertiser learns of a run for one of its
// seed lists: sizes only, never who. Counts of the advertiser's own rows
// (rows, rejected, duplicates, usable: known from its list alone) are
// shown as they are. Every count of persons found (matched, by
// convention, by app, the audience and its tiers) carries deterministic
// noise keyed by a secret digest of the list (features.NoisyCount, scale
// privacy.noise_scale), so two lists that differ by one phone do not tell
// whether it matched; then a count under the floor is suppressed, and
// where suppressing one cell of a total would let the others give it
// away, the next smallest cell is suppressed too. Matched counts rows:
// a phone and its hash in another row are two matched rows.
type AdvertiserReport struct {
	Advertiser   string           `json:"advertiser_id"`
	List         string           `json:"seed_list_id"`
	RunID        string           `json:"run_id"`
	Floor        int              `json:"floor"`       // counts under it are null
	NoiseScale   float64          `json:"noise_scale"` // of the noise on counts of persons found
	Rows         int              `json:"rows"`
	Rejected     map[string]int   `json:"rejected"`
	Duplicates   int              `json:"duplicates"` // rows naming a phone or hash an earlier row names
	Valid        int              `json:"valid"`      // rows − rejected
	Usable       int              `json:"usable"`     // rows − rejected − duplicates
	Ignored      map[string]int   `json:"ignored,omitempty"`
	Matched      Count            `json:"matched"`
	Unmatched    Count            `json:"unmatched"`
	MatchRate    *float64         `json:"match_rate"` // null when Matched or Unmatched is
	ByConvention map[string]Count `json:"matched_by_convention"`
	ByApp        map[string]Count `json:"matched_by_app"`
	// HashHint says, when hashed rows matched (almost) nothing, how to hash
	// phones so they can match.
	HashHint string `json:"hash_hint,omitempty"`
	Model    string `json:"model,omitempty"` // how well the model ranks held-out customers, in bands
	// ModelsTried are the kinds of model measured on the list, in bands
	// like Model, and which one was chosen (and why, in words).
	ModelsTried []TriedModel `json:"models_tried,omitempty"`
	ModelChoice string       `json:"model_choice,omitempty"`
	// ExcludedLists are the advertiser's other lists this one excludes;
	// ExcludedByLists how many of their persons were kept out of its
	// prospects (a count, noised and floored like the others; never who).
	ExcludedLists   []string      `json:"excluded_lists,omitempty"`
	ExcludedByLists Count         `json:"excluded_by_lists,omitempty"`
	Audience        Count         `json:"audience"`
	Delivered       bool          `json:"delivered"`
	MinAudience     int           `json:"min_audience"`
	ByTier          map[int]Count `json:"audience_by_tier,omitempty"`
	// Countries are the list's target countries (none: every country);
	// ByCountry the audience in each country it reached.
	Countries []string         `json:"countries,omitempty"`
	ByCountry map[string]Count `json:"audience_by_country,omitempty"`
	// WithheldCountries are the target countries whose audience was
	// under the minimum: not delivered, though the list's others were.
	WithheldCountries []string `json:"withheld_countries,omitempty"`
	// Gains is the model's held-out gains curve: the share of held-out
	// customers in the top Percent % of held-out persons, in percent,
	// rounded down to 5 points as the bands are.
	Gains []GainsBand `json:"gains,omitempty"`
	// Distribution counts the persons scored (everyone eligible but your
	// customers) by similarity, in 20 bins of 0.05: noised and floored
	// like the other counts of persons.
	Distribution []Count `json:"similarity_distribution,omitempty"`
	// TierStarts is the similarity at which each tier of the audience
	// starts, to two decimals.
	TierStarts map[int]float64 `json:"tier_similarity_starts,omitempty"`
	// TopFeatures are what the model leans on most: each feature's part,
	// relative to the largest's, to one decimal (negative: your customers
	// have less of it than others).
	TopFeatures []SignedFeature `json:"top_features,omitempty"`
}

// GainsBand is one point of an advertiser's gains curve.
type GainsBand struct {
	Percent   float64 `json:"top_percent"`
	Customers float64 `json:"customers_percent"` // rounded down to 5 points
}

// SignedFeature is one feature's relative part in a model.
type SignedFeature struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"` // in [-1, 1]
}

// gainsPercents are the points of an advertiser's gains curve.
var gainsPercents = []float64{0, 1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}

// gainsBands is a model's gains curve as an advertiser sees it.
func gainsBands(g []model.GainsPoint) []GainsBand {
	var out []GainsBand
	for _, pct := range gainsPercents {
		if i := slices.IndexFunc(g, func(p model.GainsPoint) bool { return p.Percent == pct }); i >= 0 {
			out = append(out, GainsBand{Percent: pct, Customers: math.Floor(20*g[i].Recall+1e-9) * 5})
		}
	}
	return out
}

// signedFeatures are a model's top features relative to the largest.
func signedFeatures(top []model.FeatureWeight) []SignedFeature {
	largest := 0.0
	for _, f := range top {
		largest = max(largest, math.Abs(f.Weight))
	}
	if largest == 0 {
		return nil
	}
	out := make([]SignedFeature, 0, len(top))
	for _, f := range top {
		out = append(out, SignedFeature{Feature: f.Name, Weight: math.Round(10*f.Weight/largest) / 10})
	}
	return out
}

// modelBand says how well a list's model ranks its held-out customers, in
// bands rather than figures: the exact held-out AUC moves with every seed
// that matched, and two lists that differ by one phone would tell whether
// it did.
func modelBand(auc float64) string {
	switch {
	case auc < model.NotPredictiveAUC:
		return "not predictive: your customers rank about as well as random people, and the audience would be little better than untargeted"
	case auc < 0.65:
		return "weak: your customers stand out a little from everybody else"
	case auc < 0.75:
		return "good: your customers stand out clearly from everybody else"
	}
	return "strong: your customers stand out strongly from everybody else"
}

// TriedModel is one kind of model measured on a seed list, as an
// advertiser sees it: how well it ranked held-out customers, in bands.
type TriedModel struct {
	Kind     string `json:"kind"`
	AUC      string `json:"auc"`             // a band of 0.05: "0.70–0.75"
	Recall10 string `json:"recall_at_10pct"` // a band of 10 points: "30–40%"
	Chosen   bool   `json:"chosen,omitempty"`
}

// band writes v as the band of width w it falls in, v scaled by scale
// and followed by unit ("0.70–0.75", "30–40%").
func band(v, w, scale float64, format, unit string) string {
	lo := math.Floor(v/w+1e-9) * w
	return fmt.Sprintf(format+"–"+format+"%s", lo*scale, (lo+w)*scale, unit)
}

// triedModels are the candidates of a model report in bands, and the
// choice in words.
func triedModels(q *model.Report) ([]TriedModel, string) {
	var out []TriedModel
	for _, c := range q.Candidates {
		out = append(out, TriedModel{Kind: c.Name(), AUC: band(c.AUC, 0.05, 1, "%.2f", ""), Recall10: band(c.Recall10, 0.1, 100, "%.0f", "%"),
			Chosen: c.Name() == q.HeldOut.Name()})
	}
	choice := fmt.Sprintf("%s, measured on customers held out of its training", q.HeldOut.Name())
	switch {
	case q.HeldOut.Kind == model.KindStack:
		choice = fmt.Sprintf("%s: a blend of the kinds measured on customers held out of their training, chosen because it ranked them clearly better — by more than the measurement's noise — than any one of the %d kinds alone", q.HeldOut.Name(), len(out)-1)
	case len(out) > 1:
		choice = fmt.Sprintf("%s: of the %d kinds measured on customers held out of their training, the simplest whose ranking is within the measurement's noise of the best", q.HeldOut.Name(), len(out))
	}
	return out, choice
}

// hashHint is said when hashed rows of a list match (almost) nothing.
const hashHint = "the SHA-256 rows matched almost no one: hash each phone after normalizing it, in E.164 with its + (+33612345678) or as its digits with the country code (33612345678), without spaces, dots or a leading 0"

// advertiserReports makes the advertiser report of every seed list of
// rep, noised and floored as cfg says.
func advertiserReports(cfg *configs.Config, rep *Report) []AdvertiserReport {
	floor, scale := cfg.Privacy.Floor, cfg.Privacy.NoiseScale
	var out []AdvertiserReport
	for _, l := range cfg.SeedLists {
		a := AdvertiserReport{Advertiser: l.Advertiser, List: l.ID, RunID: rep.RunID, Floor: floor, NoiseScale: scale, MinAudience: cfg.Privacy.MinAudience, Countries: l.Countries}
		var seed uint64
		noisy := func(name string, n int) int { return features.NoisyCount(n, seed, name, scale) }
		if i := slices.IndexFunc(rep.SeedMatch, func(m pipelines.MatchReport) bool { return m.List == l.ID }); i >= 0 {
			m := rep.SeedMatch[i]
			seed = m.ListDigest
			a.Rows, a.Duplicates, a.Ignored = m.Rows, m.Repeated, m.Ignored
			a.Rejected = map[string]int{}
			rejected := 0
			for r, n := range m.Rejected {
				a.Rejected[string(r)] = n
				rejected += n
			}
			a.Valid, a.Usable = m.Rows-rejected, m.Rows-rejected-m.Repeated
			matched := min(a.Usable, noisy("matched", m.Matched+m.Duplicates-m.Repeated))
			both := features.Suppress(floor, map[string]int{"matched": matched, "unmatched": a.Usable - matched})
			a.Matched, a.Unmatched = both["matched"], both["unmatched"]
			if a.Matched != nil && a.Unmatched != nil && a.Usable > 0 {
				rate := float64(matched) / float64(a.Usable)
				a.MatchRate = &rate
			}
			byConvention := map[string]int{}
			for k, n := range m.ByConvention {
				byConvention[k] = noisy("matched_as_"+k, n)
			}
			a.ByConvention = features.SuppressTotal(floor, byConvention, a.Matched)
			byApp := map[string]int{}
			for k, n := range m.ByApp {
				byApp[k] = noisy("matched_on_"+k, n)
			}
			a.ByApp = features.FloorEach(floor, byApp) // a person is on several apps: cells do not add up to a total
			if m.HashedRows >= max(floor, 1) && noisy("hashed_matched", m.HashedMatched) < max(floor, 1) {
				a.HashHint = hashHint
			}
		}
		if i := slices.IndexFunc(rep.Models, func(m ModelSummary) bool { return m.List == l.ID }); i >= 0 && rep.Models[i].Quality != nil {
			a.Model = modelBand(rep.Models[i].Quality.HeldOut.AUC)
			a.ModelsTried, a.ModelChoice = triedModels(rep.Models[i].Quality)
			a.Gains = gainsBands(rep.Models[i].Quality.Gains)
			a.TopFeatures = signedFeatures(rep.Models[i].Quality.TopFeatures)
		}
		if i := slices.IndexFunc(rep.Distributions, func(d pipelines.ScoreDistribution) bool { return d.List == l.ID }); i >= 0 {
			for b, n := range rep.Distributions[i].Bins {
				a.Distribution = append(a.Distribution, features.Floor(floor, noisy(fmt.Sprintf("similarity_bin_%d", b), int(n))))
			}
		}
		if len(l.Exclude) > 0 {
			a.ExcludedLists = l.Exclude
			a.ExcludedByLists = features.Floor(floor, noisy("excluded_by_lists", int(rep.Counters[pipelines.CounterExcludedByLists+"_"+l.ID])))
		}
		size := 0
		if i := slices.IndexFunc(rep.Audiences, func(s pipelines.AudienceSize) bool { return s.List == l.ID }); i >= 0 {
			size, a.Delivered = rep.Audiences[i].Size, rep.Audiences[i].Delivered
			for _, c := range rep.Audiences[i].Countries {
				if a.Delivered && !c.Delivered {
					a.WithheldCountries = append(a.WithheldCountries, c.Country)
				}
			}
		}
		a.Audience = features.Floor(floor, noisy("audience", size))
		if a.Delivered {
			tiers := map[int]int{}
			for t, n := range rep.Tiers[l.ID] {
				tiers[t] = noisy(fmt.Sprintf("tier_%d", t), n)
			}
			a.ByTier = features.SuppressTotal(floor, tiers, a.Audience)
			byCountry := map[string]int{}
			for c, n := range rep.ByCountry[l.ID] {
				byCountry[c] = noisy("country_"+c, n)
			}
			a.ByCountry = features.SuppressTotal(floor, byCountry, a.Audience)
			a.TierStarts = map[int]float64{}
			for t, f := range rep.TierFloors[l.ID] {
				a.TierStarts[t] = math.Floor(100*f) / 100
			}
		}
		out = append(out, a)
	}
	return out
}

// Print writes the report for a person to read.
func (a *AdvertiserReport) Print(w io.Writer) {
	c := func(n Count) string {
		if n == nil {
			return fmt.Sprintf("under %d", a.Floor)
		}
		return fmt.Sprint(*n)
	}
	row := func(label, value string) { fmt.Fprintf(w, "%-22s %s\n", label, value) }
	fmt.Fprintf(w, "Seed list %s of advertiser %s, run %s\n", a.List, a.Advertiser, a.RunID)
	fmt.Fprintf(w, "Counts of your rows are exact. Counts of persons found carry a little noise (scale %g), so that\n"+
		"lists differing by one phone cannot tell whether it matched; those under %d are not shown.\n\n", a.NoiseScale, a.Floor)
	row("rows submitted", fmt.Sprint(a.Rows))
	for _, r := range slices.Sorted(maps.Keys(a.Rejected)) {
		row("rejected: "+r, fmt.Sprint(a.Rejected[r]))
	}
	row("duplicates", fmt.Sprint(a.Duplicates))
	row("usable", fmt.Sprint(a.Usable))
	for _, c := range slices.Sorted(maps.Keys(a.Ignored)) {
		row("ignored: "+c, fmt.Sprintf("%d cells left out (not readable); their rows count", a.Ignored[c]))
	}
	row("matched", c(a.Matched))
	row("not matched", c(a.Unmatched))
	if a.MatchRate != nil {
		row("match rate", fmt.Sprintf("%.0f%%", 100**a.MatchRate))
	}
	for _, k := range slices.Sorted(maps.Keys(a.ByConvention)) {
		row("matched as "+k, c(a.ByConvention[k]))
	}
	for _, k := range slices.Sorted(maps.Keys(a.ByApp)) {
		row("matched on "+k, c(a.ByApp[k]))
	}
	if a.HashHint != "" {
		row("hashed phones", a.HashHint)
	}
	if a.Model != "" {
		row("model", a.Model)
	}
	if a.ModelChoice != "" {
		row("model chosen", a.ModelChoice)
	}
	for _, m := range a.ModelsTried {
		mark := ""
		if m.Chosen {
			mark = "  (chosen)"
		}
		row("  "+m.Kind, fmt.Sprintf("AUC %s, %s of held-out customers in the top 10%%%s", m.AUC, m.Recall10, mark))
	}
	if len(a.TopFeatures) > 0 {
		var parts []string
		for _, f := range a.TopFeatures[:min(5, len(a.TopFeatures))] {
			parts = append(parts, fmt.Sprintf("%s %+.1f", f.Feature, f.Weight))
		}
		row("model leans on", strings.Join(parts, ", "))
	}
	if len(a.ExcludedLists) > 0 {
		row("excluded", fmt.Sprintf("%s persons of your lists %s: never among these prospects", c(a.ExcludedByLists), strings.Join(a.ExcludedLists, ", ")))
	}
	if !a.Delivered {
		row("audience", fmt.Sprintf("%s persons: under the minimum of %d, not delivered", c(a.Audience), a.MinAudience))
		return
	}
	row("audience", c(a.Audience)+" persons, delivered")
	for _, t := range slices.Sorted(maps.Keys(a.ByTier)) {
		row(fmt.Sprintf("  top %d–%d%%", t-1, t), c(a.ByTier[t]))
	}
	if len(a.Countries) > 0 {
		row("target countries", strings.Join(a.Countries, ", ")+": the top of each country's own ranking")
	}
	for _, k := range slices.Sorted(maps.Keys(a.ByCountry)) {
		row("  in "+k, c(a.ByCountry[k]))
	}
	if len(a.WithheldCountries) > 0 {
		row("withheld in", fmt.Sprintf("%s: the audience there was under the minimum of %d", strings.Join(a.WithheldCountries, ", "), a.MinAudience))
	}
}
