package job

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"
)

// Exit codes of every job.
const (
	ExitOK       = 0 // done
	ExitFailed   = 1 // the run failed (a worker error, too few matched seeds, an output not written)
	ExitBadInput = 2 // bad configuration or input, found before any work
	// ExitNotPredictive: done, outputs written, but a seed list's model is
	// not predictive (held-out AUC under 0.55): its prospects are close to
	// random, and a scheduler should not ship them unseen. Also when a
	// seed list's audience is under privacy.min_audience and withheld.
	ExitNotPredictive = 3
	// ExitInterrupted: stopped by SIGINT or SIGTERM before it published
	// anything (128 + the signal's number, as shells report it: 130 for
	// SIGINT, 143 for SIGTERM).
	ExitInterrupted = 130
)

// statuses name the exit codes in the summary line.
var statuses = map[int]string{ExitOK: "ok", ExitFailed: "failed", ExitBadInput: "bad_input", ExitNotPredictive: "not_predictive",
	ExitInterrupted: "interrupted", 128 + int(syscall.SIGTERM): "interrupted"}

// Summary is the last line a job prints on stdout, as JSON, for a
// scheduler: the status its exit code means, the run, and the report.
type Summary struct {
	Job           string   `json:"job"`
	Status        string   `json:"status"` // ok, failed, bad_input, not_predictive, withheld, interrupted
	ExitCode      int      `json:"exit_code"`
	RunID         string   `json:"run_id,omitempty"`
	Report        string   `json:"report,omitempty"`
	NotPredictive []string `json:"not_predictive,omitempty"` // seed lists
	Withheld      []string `json:"withheld,omitempty"`       // seed lists whose audience is under the minimum
	Error         string   `json:"error,omitempty"`
}

// NewLogger logs human-readable lines to a terminal and JSON otherwise,
// from the info level (debug with SOSIE_LOG=debug).
func NewLogger(w *os.File) zerolog.Logger {
	level := zerolog.InfoLevel
	if os.Getenv("SOSIE_LOG") == "debug" {
		level = zerolog.DebugLevel
	}
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}).Level(level).With().Timestamp().Logger()
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// RunFunc is one job: RunLookalike, RunFeaturize, RunTrain or RunScore.
type RunFunc func(ctx context.Context, log zerolog.Logger, stdout io.Writer, flags *Flags) (int, error)

// Main is a job binary's main: it parses the flags, calls beam.Init (a
// worker re-entering the binary stays there and never returns), runs the
// job and exits with its code, logging the error that made it.
func Main(name string, flags *Flags, run RunFunc) {
	flag.Parse()
	if *helpBeam {
		usageBeam(os.Stdout, name, flag.CommandLine)
		return
	}
	beam.Init()
	log := NewLogger(os.Stderr)
	slog.SetDefault(slog.New(NewSlogHandler(log)))
	if dir := os.Getenv("SOSIE_PPROF"); dir != "" {
		stop, err := startProfile(dir)
		if err != nil {
			exit(log, name, flags.summary, ExitBadInput, err)
		}
		code, err := runInterruptibly(log, func(ctx context.Context) (int, error) { return run(ctx, log, os.Stdout, flags) })
		if files, perr := stop(); perr != nil {
			log.Warn().Err(perr).Msg("profile not written")
		} else {
			log.Info().Strs("files", files).Msg("profiles written (go tool pprof -top FILE)")
		}
		exit(log, name, flags.summary, code, err)
	}
	code, err := runInterruptibly(log, func(ctx context.Context) (int, error) { return run(ctx, log, os.Stdout, flags) })
	exit(log, name, flags.summary, code, err)
}

// SeedsMain is jobs/seeds' main: it builds no pipeline, so it needs no
// beam.Init.
func SeedsMain(flags *SeedsFlags) {
	flag.Parse()
	log := NewLogger(os.Stderr)
	code, err := runInterruptibly(log, func(ctx context.Context) (int, error) { return RunSeeds(ctx, log, os.Stdout, flags) })
	exit(log, "seeds", Summary{}, code, err)
}

// InterruptGrace is how long a job stopped by a signal has to wind down
// (the runner to stop, a publication under way to finish) before it
// exits regardless.
var InterruptGrace = 10 * time.Second

// runInterruptibly runs a job with a context that SIGINT and SIGTERM end.
// A job that stops for it exits with ExitInterrupted (143 for SIGTERM);
// one that ends otherwise within InterruptGrace (done, or published)
// exits with its own code. A second signal kills the process.
func runInterruptibly(log zerolog.Logger, run func(context.Context) (int, error)) (int, error) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := run(ctx)
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		return r.code, r.err
	case sig := <-sigs:
		signal.Stop(sigs) // a second signal kills
		code := ExitInterrupted
		if sig == syscall.SIGTERM {
			code = 128 + int(syscall.SIGTERM)
		}
		log.Warn().Str("signal", sig.String()).Msg("interrupted: stopping; nothing of this run is published, the previous outputs stay as they were")
		cancel()
		select {
		case r := <-done:
			if r.err == nil || r.code == ExitNotPredictive {
				return r.code, r.err // it finished and published before it could stop
			}
		case <-time.After(InterruptGrace):
		}
		return code, fmt.Errorf("%w by %s", ErrInterrupted, sig)
	}
}

// exit logs the error that ended a job, prints its summary line and exits
// with its code.
func exit(log zerolog.Logger, name string, sum Summary, code int, err error) {
	if err != nil {
		log.Error().Err(err).Msg(name + " failed")
	}
	sum.Job, sum.ExitCode, sum.Status = name, code, statuses[code]
	if code == ExitNotPredictive && len(sum.NotPredictive) == 0 {
		sum.Status = "withheld"
	}
	if err != nil {
		sum.Error = err.Error()
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintf(os.Stdout, "%s\n", b)
	os.Exit(code)
}

// conciseError is a pipeline failure told by its root cause: a runner
// wraps a DoFn's error in the whole bundle's plan, which buries the one
// line that says what went wrong. Unwrap gives the runner's error.
type conciseError struct{ err error }

func (e conciseError) Unwrap() error { return e.err }

func (e conciseError) Error() string {
	lines := strings.Split(strings.TrimSpace(e.err.Error()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "caused by") {
			return "the pipeline failed: " + l
		}
	}
	return e.err.Error()
}

// finish records the run in the summary and returns ExitNotPredictive
// when a seed list's model is not predictive or its audience withheld,
// else ExitOK.
func finish(flags *Flags, rep *Report, path string) int {
	flags.summary.RunID, flags.summary.Report = rep.RunID, path
	flags.summary.NotPredictive = append(flags.summary.NotPredictive, rep.NotPredictive()...)
	for _, a := range rep.Audiences {
		if !a.Delivered {
			flags.summary.Withheld = append(flags.summary.Withheld, a.List)
		}
	}
	if len(flags.summary.NotPredictive) > 0 || len(flags.summary.Withheld) > 0 {
		return ExitNotPredictive
	}
	return ExitOK
}
