// Command evaluate measures sosie's lookalike models on any labelled CSV
// table with the seed-list protocol (eval.RunProtocol): for each seed size
// and repeat, a random seed list of positives, a model fitted against a
// population sample, every other row scored and checked against the truth.
//
//	go run ./jobs/evaluate --csv ../shared/data/bank-full.csv --comma ';' \
//	    --label y --positive yes --drop id,duration
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/model"
	"github.com/sosie-dev/sosie/model/eval"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		path     = fs.String("csv", "", "the labelled CSV table (required)")
		comma    = fs.String("comma", ",", "field separator (one character; \\t for tab)")
		noHeader = fs.Bool("no-header", false, "the first row is data, not column names")
		label    = fs.String("label", "", "label column (required)")
		positive = fs.String("positive", "", "label value of a positive row (required)")
		drop     = fs.String("drop", "", "comma-separated columns to ignore")
		cats     = fs.String("categorical", "", "comma-separated columns to one-hot encode even if numeric")
		bins     = fs.Int("bins", 4, "quantile bins added for each numeric column (0: none)")
		gauss    = fs.Bool("gaussianize", false, "replace numeric values by their normal scores (rank-based)")
		flags    = fs.Bool("mode-flags", false, "add a flag for a numeric column's most frequent value when it holds ≥ 10% of rows")
		sizes    = fs.String("k", "100,500,1000", "comma-separated seed sizes")
		repeats  = fs.Int("repeats", 5, "repeats per seed size")
		ratio    = fs.Int("population-ratio", 20, "population sample = ratio × seed size (at most the rest)")
		kinds    = fs.String("models", "auto", "comma-separated kinds: auto, logistic, centroid, contrast, multi_centroid, ensemble")
		seed     = fs.Uint64("seed", 1, "random seed: the same seed gives the same table")
		out      = fs.String("json", "", "write the results as JSON to this file")
		html     = fs.String("html", "", "write the results as a page to this file (HTML; its charts as PNG in <name>_charts/ beside it)")
		lambda   = fs.Float64("lambda", 0, "logistic L2 penalty (0: 1/n)")
		ridge    = fs.Float64("fisher-ridge", 0, "Fisher discriminant ridge (0: default)")
		shrink   = fs.Bool("shrink", false, "shrink seed means in centroid models (James–Stein)")
		noShape  = fs.Bool("no-shaping", false, "auto measures its kinds on the features as given only, not also shaped (ranks, flags)")
		noWhiten = fs.Bool("no-whiten", false, "centroid models measure standardized features as they are, not whitened by the population covariance")
		draws    = fs.String("draws", "", "JSON file of draws to replay instead of random ones: [{k, rep, seed: [rows], unl: [rows]}]")
		folds    = fs.Int("folds", 0, "cross-validation folds inside each fit (0: the model default)")
		cpuProf  = fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof -top FILE)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly, NoColor: true}).With().Timestamp().Logger()
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			log.Error().Err(err).Str("file", *cpuProf).Msg("cannot profile")
			return 2
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *path == "" || *label == "" || *positive == "" {
		log.Error().Msg("--csv, --label and --positive are required")
		return 2
	}
	sep := []rune(strings.ReplaceAll(*comma, `\t`, "\t"))
	if len(sep) != 1 {
		log.Error().Str("comma", *comma).Msg("--comma must be one character")
		return 2
	}
	var ps eval.ProtocolSettings
	for _, s := range splitList(*sizes) {
		k, err := strconv.Atoi(s)
		if err != nil {
			log.Error().Str("k", s).Msg("--k takes whole numbers")
			return 2
		}
		ps.SeedSizes = append(ps.SeedSizes, k)
	}
	for _, k := range splitList(*kinds) {
		if !slices.Contains(model.Kinds, model.Kind(k)) {
			log.Error().Msgf("unknown model %s; the models are %v", k, model.Kinds)
			return 2
		}
		ps.Kinds = append(ps.Kinds, model.Kind(k))
	}
	ps.Repeats, ps.PopulationRatio, ps.Seed = *repeats, *ratio, *seed
	ps.Model.Logistic.Lambda, ps.Model.Fisher.Ridge, ps.Model.Shrink, ps.Model.Folds = *lambda, *ridge, *shrink, *folds
	ps.Model.NoShaping = *noShape
	ps.Model.NoWhiten = *noWhiten

	if *draws != "" {
		b, err := os.ReadFile(*draws)
		if err == nil {
			err = json.Unmarshal(b, &ps.Draws)
		}
		if err != nil {
			log.Error().Err(err).Str("file", *draws).Msg("cannot read the draws")
			return 1
		}
	}
	f, err := os.Open(*path)
	if err != nil {
		log.Error().Err(err).Msg("cannot open the table")
		return 1
	}
	defer f.Close()
	t, err := eval.ReadTable(f, eval.TableOptions{
		Comma: sep[0], NoHeader: *noHeader, Label: *label, Positive: *positive,
		Drop: splitList(*drop), Categorical: splitList(*cats), Bins: *bins, ModeFlags: *flags, Gaussianize: *gauss,
	})
	if err != nil {
		log.Error().Err(err).Str("file", *path).Msg("cannot read the table")
		return 1
	}
	n, d := t.X.Dims()
	pos := 0
	for _, l := range t.Label {
		pos += int(l)
	}
	log.Info().Str("file", *path).Int("rows", n).Int("features", d).Int("positives", pos).Msg("table read")

	start := time.Now()
	rows, err := eval.RunProtocol(t, ps, func(k, r int, kind model.Kind, auc float64) {
		log.Debug().Int("k", k).Int("repeat", r).Str("model", string(kind)).Float64("auc", auc).Msg("fit")
	})
	if err != nil {
		log.Error().Err(err).Msg("protocol failed")
		return 1
	}
	log.Info().Str("took", time.Since(start).Round(time.Millisecond).String()).Msg("protocol done")

	fmt.Fprintf(stdout, "%s: n=%d features=%d positives=%d, %d repeats, population sample %d×k, --seed %d\n\n", *path, n, d, pos, ps.Repeats, ps.PopulationRatio, ps.Seed)
	fmt.Fprintln(stdout, "| k | model | AUC | recall@1% | @5% | @10% | @20% | lift@10% | fit s | chosen |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		var chosen []string
		for k, c := range r.Chosen {
			chosen = append(chosen, fmt.Sprintf("%s×%d", k, c))
		}
		sort.Strings(chosen)
		fmt.Fprintf(stdout, "| %d | %s | %.3f ± %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.3f | %s |\n",
			r.SeedSize, r.Kind, r.AUC.Mean, r.AUC.Std, r.Recall1.Mean, r.Recall5.Mean, r.Recall10.Mean, r.Recall20.Mean,
			r.Lift10.Mean, r.FitSeconds.Mean, strings.Join(chosen, " "))
	}
	if *html != "" {
		lead := []string{fmt.Sprintf("%s: %d rows, %d features, %d positives; %d repeats per seed size, population sample %d × k, --seed %d.", *path, n, d, pos, ps.Repeats, ps.PopulationRatio, ps.Seed),
			"Each repeat draws a seed list of positives, fits each model against a population sample, and ranks every row not drawn as a seed; the figures are means over the repeats. The numbers are those of --json's results."}
		if err := writePage(*html, evaluationPage("sosie evaluate: "+*path, lead, rows)); err != nil {
			log.Error().Err(err).Msg("cannot write the page")
			return 1
		}
		fmt.Fprintf(stdout, "\npage written to %s\n", *html)
	}
	if *out != "" {
		b, _ := json.MarshalIndent(map[string]any{"file": *path, "rows": n, "features": d, "positives": pos, "settings": ps, "results": rows}, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			log.Error().Err(err).Msg("cannot write the JSON results")
			return 1
		}
		fmt.Fprintf(stdout, "\nresults written to %s\n", *out)
	}
	return 0
}
