package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines"
	"github.com/sosie-dev/sosie/pipelines/bqio"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// jobRun is one run of a job: its config, report, outputs and BigQuery
// sink.
type jobRun struct {
	name string
	cfg  *configs.Config
	log  zerolog.Logger
	rep  Report
	out  *outputs
	sink *bqio.Sink
	// tables are the BigQuery tables the job writes with a sink.
	tables []bqio.Table
}

// newJobRun starts a run of job publishing into dir; with a BigQuery
// sink it first checks the tables the job writes (preflight). The pepper
// must have been checked (prepare). The error comes with its exit code.
func newJobRun(ctx context.Context, log zerolog.Logger, job string, cfg *configs.Config, dir string, tables ...bqio.Table) (*jobRun, int, error) {
	fp, err := PepperOf(cfg).Fingerprint()
	if err != nil {
		return nil, ExitBadInput, err
	}
	r := &jobRun{name: job, cfg: cfg, log: log, rep: Report{Job: job, RunID: cfg.RunID, AsOf: cfg.AsOf, Pepper: fp}, tables: tables}
	if r.out, err = startOutputs(ctx, log, dir, job, &r.rep); err != nil {
		return nil, ExitFailed, fmt.Errorf("output %s: %w", dir, err)
	}
	r.sink = bqio.NewSink(cfg, job, r.out.pub.Attempt, bigQueryTimeouts)
	if r.sink != nil {
		if err := r.sink.Preflight(ctx, tables...); err != nil {
			r.abandon(ctx)
			return nil, ExitFailed, err
		}
	}
	return r, ExitOK, nil
}

// header is the header of a file of kind this run hands to another job.
func (r *jobRun) header(kind string) *pipelines.FileHeader {
	return &pipelines.FileHeader{Kind: kind, Version: pipelines.FileVersion, Pepper: r.rep.Pepper, Job: r.name, RunID: r.cfg.RunID, AsOf: r.cfg.AsOf}
}

// abandon ends a run before its pipeline ran: nothing of it stays.
func (r *jobRun) abandon(ctx context.Context) {
	r.out.pub.Discard(context.WithoutCancel(ctx))
}

// runSpec is what execute needs of a job beyond its pipeline.
type runSpec struct {
	flags  *Flags
	files  reportFiles
	report string // the report's name in the output directory
	// check says why the run, though its pipeline ran, must not be
	// published (problems), and what it went on without (warnings).
	check func() (problems, warnings []string)
	// deliver writes the advertiser reports (jobs that deliver prospects).
	deliver bool
	// retire deletes the stored seed lists the run matched, once published.
	retire bool
}

// execute runs the pipeline, fills the report and checks the run; a run
// that passes gets its report and advertiser reports written and is
// published, BigQuery tables first, then files. It returns the exit code
// and the error behind it.
func (r *jobRun) execute(ctx context.Context, p *beam.Pipeline, spec runSpec) (int, error) {
	m, took, err := Run(ctx, r.log, p)
	if err != nil {
		r.out.failed(err)
		if errors.Is(err, ErrInterrupted) {
			return ExitInterrupted, err
		}
		return ExitFailed, err
	}
	if err := r.rep.fill(m, took, spec.files); err != nil {
		r.out.failed(err)
		return ExitFailed, err
	}
	problems, warnings := spec.check()
	problems = append(problems, pipelines.CheckBalances(r.name, r.rep.Counters)...)
	r.rep.Warnings = warnings
	for _, w := range warnings {
		r.log.Warn().Msg(w)
	}
	if len(problems) > 0 {
		r.rep.Problems, r.rep.Status = problems, "failed"
		path := r.out.pub.Stage(spec.report)
		if err := r.rep.write(ctx, path); err != nil {
			return ExitFailed, err
		}
		for _, pr := range problems {
			r.log.Error().Msg(pr)
		}
		r.out.failed(nil)
		return ExitFailed, checkFailed{problems: problems, report: path}
	}
	code := finish(spec.flags, &r.rep, r.out.pub.Final(spec.report))
	r.rep.Status = statuses[code]
	if code == ExitNotPredictive && len(r.rep.NotPredictive()) == 0 {
		r.rep.Status = "withheld"
	}
	if spec.deliver {
		if err := r.rep.writeAdvertiserReports(ctx, r.cfg, r.out); err != nil {
			return ExitFailed, err
		}
	}
	if spec.retire {
		r.rep.SeedListsDeleted = r.cfg.SeedListsToDelete()
	}
	r.rep.Manifest = configs.JoinPath(r.out.pub.Dir, fileio.ManifestFile)
	if err := writePage(ctx, r.out, strings.TrimSuffix(spec.report, ".json")+".html", runPage(&r.rep)); err != nil {
		return ExitFailed, err
	}
	if err := r.rep.write(ctx, r.out.file("report", spec.report)); err != nil {
		return ExitFailed, err
	}
	if ctx.Err() != nil {
		r.out.failed(ErrInterrupted)
		return ExitInterrupted, ErrInterrupted
	}
	// From here on the run publishes: a signal waits for it to finish.
	pctx := context.WithoutCancel(ctx)
	if r.sink != nil {
		report, err := json.Marshal(&r.rep)
		if err == nil {
			err = r.sink.Publish(pctx, bqio.RunRecord{Took: r.rep.Took, Counters: r.rep.Counters, Report: report})
		}
		if err != nil {
			r.out.failed(err)
			return ExitFailed, err
		}
	}
	if err := r.out.publish(pctx, code, r.rep.Pepper); err != nil {
		return ExitFailed, err
	}
	if spec.retire {
		if _, err := retireSeedLists(pctx, r.cfg, r.log); err != nil {
			return ExitFailed, err
		}
	}
	return code, nil
}
