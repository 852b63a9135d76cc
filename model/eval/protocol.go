package eval

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sosie-dev/sosie/model"
	"gonum.org/v1/gonum/stat"
)

// ProtocolSettings configures RunProtocol, the seed-list protocol: for each
// seed size k and repeat r, draw k random positives as the seed list, treat
// every other row as unlabelled, fit on the seeds against a population
// sample of min(rest, PopulationRatio·k) of those rows, score every
// non-seed row and measure against the true labels.
type ProtocolSettings struct {
	SeedSizes       []int          `json:"seed_sizes"`
	Repeats         int            `json:"repeats"`          // 0 means 5
	PopulationRatio int            `json:"population_ratio"` // 0 means 20
	Kinds           []model.Kind   `json:"kinds"`            // nil means [auto]
	Seed            uint64         `json:"seed"`             // repeat r draws from a source seeded with (Seed, 1000+r)
	Model           model.Settings `json:"model"`            // Kind is set per row
	// Draws, if set, replaces the random draws: for every seed size and
	// repeat, the seed rows and population rows to use (0-based data rows),
	// so two implementations can be compared on identical seed lists.
	Draws []Draw `json:"-"`
}

// Draw is one seed list and population sample of the protocol.
type Draw struct {
	K          int   `json:"k"`
	Repeat     int   `json:"rep"`
	Seeds      []int `json:"seed"`
	Population []int `json:"unl"`
}

// Summary is a mean and a (population) standard deviation over repeats.
type Summary struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

func summarize(x []float64) Summary {
	m, s := stat.PopMeanStdDev(x, nil)
	return Summary{m, s}
}

// ProtocolRow is the result of one seed size and kind over the repeats.
type ProtocolRow struct {
	SeedSize   int            `json:"seed_size"`
	Kind       model.Kind     `json:"kind"`
	AUC        Summary        `json:"auc"`
	Recall1    Summary        `json:"recall_at_1pct"`
	Recall5    Summary        `json:"recall_at_5pct"`
	Recall10   Summary        `json:"recall_at_10pct"`
	Recall20   Summary        `json:"recall_at_20pct"`
	Lift10     Summary        `json:"lift_at_10pct"`
	FitSeconds Summary        `json:"fit_seconds"`
	Chosen     map[string]int `json:"chosen,omitempty"` // for auto: how often each candidate was picked
	// Gains is the gains curve on the rows not drawn as seeds: the mean
	// over the repeats of the share of their positives in the top 0, 1,
	// …, 100 % of them.
	Gains []model.GainsPoint `json:"gains"`
	// Positives and Others are how the positives and the other rows not
	// drawn as seeds spread over similarity, in SimilarityBins bins of
	// equal width: the share of each group per bin, mean over repeats.
	Positives []float64 `json:"similarity_positives"`
	Others    []float64 `json:"similarity_others"`
}

// SimilarityBins is how many bins ProtocolRow's similarity shares have.
const SimilarityBins = 20

// similarityShares adds, to pos and other, each group's share of rows
// per bin of similarity, over n repeats.
func similarityShares(m *model.Model, scores, y []float64, n int, pos, other []float64) {
	var np, no float64
	for _, l := range y {
		if l == 1 {
			np++
		} else {
			no++
		}
	}
	for i, s := range scores {
		b := min(max(int(m.Similarity(s)*SimilarityBins), 0), SimilarityBins-1)
		if y[i] == 1 {
			pos[b] += 1 / np / float64(n)
		} else {
			other[b] += 1 / no / float64(n)
		}
	}
}

// RunProtocol runs the seed-list protocol on t. progress, if not nil, is
// called after every fit.
func RunProtocol(t *Table, ps ProtocolSettings, progress func(k, repeat int, kind model.Kind, auc float64)) ([]ProtocolRow, error) {
	if ps.Repeats == 0 {
		ps.Repeats = 5
	}
	if ps.PopulationRatio == 0 {
		ps.PopulationRatio = 20
	}
	if len(ps.Kinds) == 0 {
		ps.Kinds = []model.Kind{model.KindAuto}
	}
	var pos []int
	for i, l := range t.Label {
		if l == 1 {
			pos = append(pos, i)
		}
	}
	var rows []ProtocolRow
	for _, k := range ps.SeedSizes {
		if k < 2 || k > len(pos)-1 {
			return nil, fmt.Errorf("model: seed size %d, want 2 to %d (the positives less one)", k, len(pos)-1)
		}
		type metrics struct {
			auc, r1, r5, r10, r20, lift, secs []float64
			gains                             []model.GainsPoint
			pos, other                        []float64
		}
		per := make([]metrics, len(ps.Kinds))
		for ki := range per {
			per[ki].pos, per[ki].other = make([]float64, SimilarityBins), make([]float64, SimilarityBins)
		}
		chosen := make([]map[string]int, len(ps.Kinds))
		for r := range ps.Repeats {
			seedIdx, popIdx, err := drawFor(ps, t, pos, k, r)
			if err != nil {
				return nil, err
			}
			isSeed := make([]bool, len(t.Label))
			for _, i := range seedIdx {
				isSeed[i] = true
			}
			var rest []int
			for i := range t.Label {
				if !isSeed[i] {
					rest = append(rest, i)
				}
			}
			seedX, popX, restX := model.Rows(t.X, seedIdx), model.Rows(t.X, popIdx), model.Rows(t.X, rest)
			restY := make([]float64, len(rest))
			for i, j := range rest {
				restY[i] = t.Label[j]
			}
			// Production standardizes on the whole population; here that is
			// every non-seed row.
			std, err := model.FitStandardizer(restX, nil)
			if err != nil {
				return nil, err
			}
			scores := make([]float64, len(rest))
			for ki, kind := range ps.Kinds {
				set := ps.Model
				set.Kind = kind
				set.Seed = ps.Seed + uint64(r)
				set.Standardizer = std
				start := time.Now()
				m, rep, err := model.Fit(seedX, popX, nil, set)
				if err != nil {
					return nil, fmt.Errorf("model: k=%d repeat %d %s: %w", k, r, kind, err)
				}
				secs := time.Since(start).Seconds()
				if err := m.Score(scores, restX); err != nil {
					return nil, err
				}
				rank := model.NewRanking(scores, restY)
				mt := &per[ki]
				mt.auc = append(mt.auc, model.AUC(scores, restY))
				mt.r1 = append(mt.r1, rank.RecallAt(1))
				mt.r5 = append(mt.r5, rank.RecallAt(5))
				mt.r10 = append(mt.r10, rank.RecallAt(10))
				mt.r20 = append(mt.r20, rank.RecallAt(20))
				mt.lift = append(mt.lift, rank.LiftAt(10))
				mt.secs = append(mt.secs, secs)
				for i, g := range rank.Gains(100) {
					if mt.gains == nil {
						mt.gains = make([]model.GainsPoint, 101)
					}
					mt.gains[i].Percent = g.Percent
					mt.gains[i].Recall += g.Recall / float64(ps.Repeats)
				}
				similarityShares(m, scores, restY, ps.Repeats, mt.pos, mt.other)
				if kind == model.KindAuto {
					if chosen[ki] == nil {
						chosen[ki] = map[string]int{}
					}
					chosen[ki][model.Quality{Kind: rep.Chosen, Lambda: rep.HeldOut.Lambda, Shaped: rep.HeldOut.Shaped}.Name()]++
				}
				if progress != nil {
					progress(k, r, kind, mt.auc[len(mt.auc)-1])
				}
			}
		}
		for ki, kind := range ps.Kinds {
			mt := per[ki]
			rows = append(rows, ProtocolRow{
				SeedSize: k, Kind: kind,
				AUC: summarize(mt.auc), Recall1: summarize(mt.r1), Recall5: summarize(mt.r5),
				Recall10: summarize(mt.r10), Recall20: summarize(mt.r20), Lift10: summarize(mt.lift),
				FitSeconds: summarize(mt.secs), Chosen: chosen[ki], Gains: mt.gains, Positives: mt.pos, Others: mt.other,
			})
		}
	}
	return rows, nil
}

// drawFor returns the seed rows and population rows of seed size k and
// repeat r: from ps.Draws when given, else drawn at random.
func drawFor(ps ProtocolSettings, t *Table, pos []int, k, r int) (seeds, population []int, err error) {
	if ps.Draws != nil {
		for _, d := range ps.Draws {
			if d.K != k || d.Repeat != r {
				continue
			}
			if len(d.Seeds) != k {
				return nil, nil, fmt.Errorf("model: draw k=%d repeat %d has %d seeds", k, r, len(d.Seeds))
			}
			for _, i := range append(slices.Clone(d.Seeds), d.Population...) {
				if i < 0 || i >= len(t.Label) {
					return nil, nil, fmt.Errorf("model: draw k=%d repeat %d names row %d of %d", k, r, i, len(t.Label))
				}
			}
			for _, i := range d.Seeds {
				if t.Label[i] != 1 {
					return nil, nil, fmt.Errorf("model: draw k=%d repeat %d has row %d, not a positive, as a seed", k, r, i)
				}
			}
			return d.Seeds, d.Population, nil
		}
		return nil, nil, fmt.Errorf("model: no draw for k=%d repeat %d", k, r)
	}
	rng := rand.New(rand.NewPCG(ps.Seed, uint64(1000+r)))
	perm := rng.Perm(len(pos))
	seeds = make([]int, k)
	isSeed := make([]bool, len(t.Label))
	for i := range k {
		seeds[i] = pos[perm[i]]
		isSeed[seeds[i]] = true
	}
	var rest []int
	for i := range t.Label {
		if !isSeed[i] {
			rest = append(rest, i)
		}
	}
	m := min(len(rest), ps.PopulationRatio*k)
	for _, j := range rng.Perm(len(rest))[:m] {
		population = append(population, rest[j])
	}
	return seeds, population, nil
}
