package job

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
)

// Count is a count an advertiser may see: nil when it is under the
// privacy floor (suppressed), so a small cell cannot single people out.
type Count = *int

// AdvertiserReport is what an advertiser learns of a run for one of its
// seed lists: sizes only, each under the floor suppressed, never who.
// Counts of the advertiser's own rows (rows, rejected, duplicates) are
// its own data and shown as they are; every count of persons found is
// floored, and where suppressing one cell of a total would let the
// others give it away, the next smallest cell is suppressed too.
type AdvertiserReport struct {
	Advertiser   string           `json:"advertiser_id"`
	List         string           `json:"seed_list_id"`
	RunID        string           `json:"run_id"`
	Floor        int              `json:"floor"` // counts under it are null
	Rows         int              `json:"rows"`
	Rejected     map[string]int   `json:"rejected"`
	Duplicates   int              `json:"duplicates"`
	Matched      Count            `json:"matched"`
	Unmatched    Count            `json:"unmatched"`
	MatchRate    *float64         `json:"match_rate"` // null when Matched or Unmatched is
	ByConvention map[string]Count `json:"matched_by_convention"`
	ByApp        map[string]Count `json:"matched_by_app"`
	Model        string           `json:"model,omitempty"` // the model's verdict
	Audience     Count            `json:"audience"`
	Delivered    bool             `json:"delivered"`
	MinAudience  int              `json:"min_audience"`
	ByTier       map[int]Count    `json:"audience_by_tier,omitempty"`
}

// advertiserReports makes the advertiser report of every seed list of
// rep, floored by cfg.
func advertiserReports(cfg *configs.Config, rep *Report) []AdvertiserReport {
	floor := cfg.Privacy.Floor
	var out []AdvertiserReport
	for _, l := range cfg.SeedLists {
		a := AdvertiserReport{Advertiser: l.Advertiser, List: l.ID, RunID: rep.RunID, Floor: floor, MinAudience: cfg.Privacy.MinAudience}
		if i := slices.IndexFunc(rep.SeedMatch, func(m pipelines.MatchReport) bool { return m.List == l.ID }); i >= 0 {
			m := rep.SeedMatch[i]
			a.Rows, a.Duplicates = m.Rows, m.Duplicates
			a.Rejected = map[string]int{}
			for r, n := range m.Rejected {
				a.Rejected[string(r)] = n
			}
			both := suppress(floor, map[string]int{"matched": m.Matched, "unmatched": m.Unmatched})
			a.Matched, a.Unmatched = both["matched"], both["unmatched"]
			if a.Matched != nil && a.Unmatched != nil {
				a.MatchRate = &m.MatchRate
			}
			a.ByConvention = suppressTotal(floor, m.ByConvention, a.Matched)
			a.ByApp = floorEach(floor, m.ByApp) // a person is on several apps: cells do not add up to a total
		}
		if i := slices.IndexFunc(rep.Models, func(m ModelSummary) bool { return m.List == l.ID }); i >= 0 && rep.Models[i].Quality != nil {
			a.Model = rep.Models[i].Quality.Verdict
		}
		size := 0
		if i := slices.IndexFunc(rep.Audiences, func(s pipelines.AudienceSize) bool { return s.List == l.ID }); i >= 0 {
			size, a.Delivered = rep.Audiences[i].Size, rep.Audiences[i].Delivered
		}
		a.Audience = floored(floor, size)
		if a.Delivered {
			a.ByTier = suppressTotal(floor, rep.Tiers[l.ID], a.Audience)
		}
		out = append(out, a)
	}
	return out
}

func floored(floor, n int) Count {
	if n < floor {
		return nil
	}
	return &n
}

func floorEach[K comparable](floor int, m map[K]int) map[K]Count {
	out := map[K]Count{}
	for k, n := range m {
		out[k] = floored(floor, n)
	}
	return out
}

// suppress floors cells that add up to a total the reader knows: when
// exactly one cell is under the floor, the smallest other is suppressed
// too, or the total minus the shown cells would give it away.
func suppress[K cmp.Ordered](floor int, m map[K]int) map[K]Count {
	out := floorEach(floor, m)
	hidden := 0
	for _, c := range out {
		if c == nil {
			hidden++
		}
	}
	if hidden == 1 {
		var smallest K
		found := false
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if out[k] != nil && (!found || m[k] < m[smallest]) {
				smallest, found = k, true
			}
		}
		if found {
			out[smallest] = nil
		}
	}
	return out
}

// suppressTotal is suppress for cells of a total shown as total: when the
// total itself is suppressed, so is every cell.
func suppressTotal[K cmp.Ordered](floor int, m map[K]int, total Count) map[K]Count {
	if total == nil {
		out := map[K]Count{}
		for k := range m {
			out[k] = nil
		}
		return out
	}
	return suppress(floor, m)
}

// writeAdvertiserReports writes each report as JSON and text into the
// advertiser's directory of dir (<dir>/<advertiser>/<list>.json and
// .txt) and returns the paths written.
func writeAdvertiserReports(ctx context.Context, dir string, reps []AdvertiserReport) ([]string, error) {
	var paths []string
	for _, a := range reps {
		b, err := json.MarshalIndent(a, "", "  ")
		if err != nil {
			return nil, err
		}
		var t strings.Builder
		a.Print(&t)
		base := configs.JoinPath(dir, a.Advertiser, a.List)
		for path, content := range map[string][]byte{base + ".json": append(b, '\n'), base + ".txt": []byte(t.String())} {
			if err := pipelines.WriteFile(ctx, path, func(w *bufio.Writer) error { _, err := w.Write(content); return err }); err != nil {
				return nil, err
			}
		}
		paths = append(paths, base+".json", base+".txt")
	}
	return paths, nil
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
	fmt.Fprintf(w, "Counts under %d are not shown.\n\n", a.Floor)
	row("rows submitted", fmt.Sprint(a.Rows))
	for _, r := range slices.Sorted(maps.Keys(a.Rejected)) {
		row("rejected: "+r, fmt.Sprint(a.Rejected[r]))
	}
	row("duplicates", fmt.Sprint(a.Duplicates))
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
	if a.Model != "" {
		row("model", a.Model)
	}
	if !a.Delivered {
		row("audience", fmt.Sprintf("%s persons: under the minimum of %d, not delivered", c(a.Audience), a.MinAudience))
		return
	}
	row("audience", c(a.Audience)+" persons, delivered")
	for _, t := range slices.Sorted(maps.Keys(a.ByTier)) {
		row(fmt.Sprintf("  top %d–%d%%", t-1, t), c(a.ByTier[t]))
	}
}
