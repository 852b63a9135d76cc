package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// outputs are a run's files on their way to its output directory: the
// pipeline writes them to a staging place, and they are published (moved
// in place, listed in the manifest) only when the run has succeeded and
// its checks have passed (see fileio.Publication). Every file the
// report names is declared here, so the manifest lists exactly this run's
// files and publication refuses a run whose named output is missing.
type outputs struct {
	pub *fileio.Publication
	rep *Report
	log zerolog.Logger
}

// startOutputs starts the run's publication in dir.
func startOutputs(ctx context.Context, log zerolog.Logger, dir, job string, rep *Report) (*outputs, error) {
	pub, err := fileio.StartPublication(ctx, dir, job)
	if err != nil {
		return nil, err
	}
	rep.Attempt = pub.Attempt
	return &outputs{pub: pub, rep: rep, log: log}, nil
}

// file declares an output (what it is; name relative to the directory,
// with "/"), lists it in the report and returns where it is written.
func (o *outputs) file(what, name string) string {
	o.pub.Declare(what, name)
	o.rep.Outputs = append(o.rep.Outputs, Output{What: what, Path: o.pub.Final(name)})
	return o.pub.Stage(name)
}

// scratch is where a file the job reads back and never publishes is
// written.
func (o *outputs) scratch(name string) string { return o.pub.Stage("_scratch/" + name) }

// inputsFile is the scratch file of the inputs' accounting.
const inputsFile = "inputs.jsonl"

// failed says where a run that will not be published left its outputs;
// an interrupted run's are removed.
func (o *outputs) failed(err error) {
	if errors.Is(err, ErrInterrupted) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		o.pub.Discard(ctx)
		return
	}
	o.log.Warn().Str("staging", o.pub.Staging()).Str("output", o.pub.Dir).
		Msg("this run's outputs are not published; what it wrote stays in its staging place until the next run, and the previous outputs are as they were")
}

// publish publishes the run's files: moved in place, the files of the
// job's previous run it did not write removed, the manifest and the
// success marker written.
func (o *outputs) publish(ctx context.Context, code int, pepper string) error {
	status := statuses[code]
	if code == ExitNotPredictive && len(o.rep.NotPredictive()) == 0 {
		status = "withheld"
	}
	_, err := o.pub.Publish(ctx, fileio.ManifestRun{RunID: o.rep.RunID, AsOf: o.rep.AsOf, Status: status, ExitCode: code,
		Published: time.Now().UTC(), Pepper: pepper})
	if err != nil {
		return err
	}
	o.log.Info().Str("manifest", configs.JoinPath(o.pub.Dir, fileio.ManifestFile)).Int("files", len(o.pub.Declared())).Msg("outputs published")
	return nil
}

// checkFailed is a run whose pipeline ran but whose checks failed: its
// outputs are not published.
type checkFailed struct {
	problems []string
	report   string
}

func (e checkFailed) Error() string {
	msg := e.problems[0]
	if len(e.problems) > 1 {
		msg = fmt.Sprintf("%s (and %d more problems)", msg, len(e.problems)-1)
	}
	return msg + "; nothing published, the run's report is " + e.report
}
