package fileio

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sosie-dev/sosie/configs"
)

// A job's outputs never land in its output directory one by one. They are
// written to a staging directory inside it (_staging/<job>/<attempt>/),
// and published only when the run has succeeded and been checked: each
// staged file is moved to its place, the files the job's previous run
// published and this one did not are removed, and the directory's
// manifest, which lists exactly each job's files of its latest run, is
// rewritten, followed by the success marker. A run killed before it
// publishes leaves the directory as it was. Publishing itself is a few
// renames; it starts by removing the success marker and writing a journal
// of what it will do, so a run killed in the middle leaves the directory
// marked incomplete and the journal, which the next run in the directory
// (or Recover) carries out before anything else.

// The names an output directory's bookkeeping uses.
const (
	ManifestFile = "manifest.json"    // which run of which job wrote which file
	SuccessFile  = "_SUCCESS"         // the manifest and the files agree
	journalFile  = "_publishing.json" // a publication under way
	stagingDir   = "_staging"
	ownerFile    = "_owner.json"
)

// ManifestFormat is the manifest's format name and version.
const ManifestFormat = "sosie-manifest/1"

// Manifest lists, for each job that published in a directory, its latest
// run and exactly the files that run wrote.
type Manifest struct {
	Format string                  `json:"format"`
	Jobs   map[string]*ManifestRun `json:"jobs"`
}

// ManifestRun is one job's latest published run.
type ManifestRun struct {
	RunID     string          `json:"run_id"`
	AsOf      string          `json:"as_of"`
	Attempt   string          `json:"attempt"`
	Status    string          `json:"status"` // ok, not_predictive, withheld
	ExitCode  int             `json:"exit_code"`
	Published time.Time       `json:"published_at"`
	Pepper    string          `json:"pepper_fingerprint,omitempty"`
	Files     []ManifestEntry `json:"files"`
}

// ManifestEntry is one published file.
type ManifestEntry struct {
	Path  string `json:"path"` // relative to the directory, with "/"
	What  string `json:"what"`
	Bytes int64  `json:"bytes"`
}

// ReadManifest reads a directory's manifest; a directory without one has
// an empty manifest.
func ReadManifest(ctx context.Context, dir string) (*Manifest, error) {
	m := &Manifest{Format: ManifestFormat, Jobs: map[string]*ManifestRun{}}
	b, err := ReadFile(ctx, configs.JoinPath(dir, ManifestFile))
	if errors.Is(err, ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("pipelines: %s: %w", configs.JoinPath(dir, ManifestFile), err)
	}
	if m.Jobs == nil {
		m.Jobs = map[string]*ManifestRun{}
	}
	return m, nil
}

// Publication is one run's outputs on their way to a directory.
type Publication struct {
	Dir     string // where the outputs are published
	Job     string
	Attempt string // unique to this run
	staging string
	files   []ManifestEntry
}

// StartPublication prepares a run's outputs in dir: it finishes a
// publication an earlier run left half done, removes what runs of the same
// job that are gone left in staging, and makes this run's staging place.
func StartPublication(ctx context.Context, dir, job string) (*Publication, error) {
	if err := Recover(ctx, dir); err != nil {
		return nil, err
	}
	var b [4]byte
	rand.Read(b[:])
	attempt := time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	p := &Publication{Dir: dir, Job: job, Attempt: attempt, staging: configs.JoinPath(dir, stagingDir, job, attempt)}
	if err := cleanStaging(ctx, configs.JoinPath(dir, stagingDir, job)); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	owner, _ := json.Marshal(stagingOwner{PID: os.Getpid(), Host: host, Started: time.Now().UTC()})
	if err := WriteFile(ctx, configs.JoinPath(p.staging, ownerFile), func(w *bufio.Writer) error { _, err := w.Write(owner); return err }); err != nil {
		return nil, fmt.Errorf("pipelines: output %s: %w", dir, err)
	}
	return p, nil
}

// Staging is the directory this run's outputs are written to.
func (p *Publication) Staging() string { return p.staging }

// Stage is where the output name (a path relative to the directory, with
// "/") is written before it is published.
func (p *Publication) Stage(name string) string {
	return configs.JoinPath(p.staging, strings.Split(name, "/")...)
}

// Final is where the output name is published.
func (p *Publication) Final(name string) string {
	return configs.JoinPath(p.Dir, strings.Split(name, "/")...)
}

// Declare says the run writes the output name (what it is, for the
// manifest). Publish refuses to publish a run whose declared output was not
// written.
func (p *Publication) Declare(what, name string) {
	if !slices.ContainsFunc(p.files, func(e ManifestEntry) bool { return e.Path == name }) {
		p.files = append(p.files, ManifestEntry{Path: name, What: what})
	}
}

// Declared lists the outputs declared so far.
func (p *Publication) Declared() []ManifestEntry { return slices.Clone(p.files) }

// ErrNotWritten says a declared output was not written.
var ErrNotWritten = errors.New("a declared output was not written")

// journal is a publication under way, written before its first move.
type journal struct {
	Job      string      `json:"job"`
	Attempt  string      `json:"attempt"`
	Moves    [][2]string `json:"moves"`  // staged path, final path
	Remove   []string    `json:"remove"` // stale files of the job's previous run
	Staging  string      `json:"staging"`
	Manifest *Manifest   `json:"manifest"`
}

// Publish moves every declared output in place, removes the job's files
// its previous run published and this one did not, and rewrites the
// manifest (run is this run's entry; its Files are filled here) and the
// success marker. It returns the new manifest.
func (p *Publication) Publish(ctx context.Context, run ManifestRun) (*Manifest, error) {
	run.Attempt, run.Files = p.Attempt, nil
	for _, f := range p.files {
		n, err := FileSize(ctx, p.Stage(f.Path))
		if err != nil {
			return nil, fmt.Errorf("pipelines: %w: %s (%s): %w", ErrNotWritten, f.Path, f.What, err)
		}
		f.Bytes = n
		run.Files = append(run.Files, f)
	}
	slices.SortFunc(run.Files, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
	old, err := ReadManifest(ctx, p.Dir)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, f := range run.Files {
		mine[f.Path] = true
	}
	next := &Manifest{Format: ManifestFormat, Jobs: map[string]*ManifestRun{}}
	for job, r := range old.Jobs {
		if job == p.Job {
			continue
		}
		// Another job's file this run overwrites is this run's now.
		kept := *r
		kept.Files = slices.DeleteFunc(slices.Clone(r.Files), func(e ManifestEntry) bool { return mine[e.Path] })
		next.Jobs[job] = &kept
	}
	next.Jobs[p.Job] = &run
	j := journal{Job: p.Job, Attempt: p.Attempt, Staging: p.staging, Manifest: next}
	for _, f := range run.Files {
		j.Moves = append(j.Moves, [2]string{p.Stage(f.Path), p.Final(f.Path)})
	}
	if prev := old.Jobs[p.Job]; prev != nil {
		for _, f := range prev.Files {
			if !mine[f.Path] {
				j.Remove = append(j.Remove, p.Final(f.Path))
			}
		}
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := WriteFile(ctx, configs.JoinPath(p.Dir, journalFile), func(w *bufio.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return nil, err
	}
	return next, apply(ctx, p.Dir, j)
}

// Recover carries out a publication a run in dir left half done (see the
// package's notes on publishing); without one it does nothing.
func Recover(ctx context.Context, dir string) error {
	b, err := ReadFile(ctx, configs.JoinPath(dir, journalFile))
	if errors.Is(err, ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("pipelines: %s: %w", configs.JoinPath(dir, journalFile), err)
	}
	return apply(ctx, dir, j)
}

// apply carries out a journal; every step may be done again.
func apply(ctx context.Context, dir string, j journal) error {
	fail := func(err error) error {
		return fmt.Errorf("pipelines: publishing %s's outputs in %s (the journal %s finishes it on the next run): %w", j.Job, dir, journalFile, err)
	}
	if err := RemoveFile(ctx, configs.JoinPath(dir, SuccessFile)); err != nil && !errors.Is(err, ErrNotExist) {
		return fail(err)
	}
	for _, m := range j.Moves {
		if err := StatFile(ctx, m[0]); errors.Is(err, ErrNotExist) {
			continue // moved already
		}
		if err := RenameFile(ctx, m[0], m[1]); err != nil {
			return fail(err)
		}
	}
	for _, f := range j.Remove {
		if err := RemoveFile(ctx, f); err != nil && !errors.Is(err, ErrNotExist) {
			return fail(err)
		}
	}
	b, err := json.MarshalIndent(j.Manifest, "", "  ")
	if err != nil {
		return fail(err)
	}
	// The manifest, then the marker that says it and the files agree.
	for _, f := range []struct {
		name    string
		content []byte
	}{{ManifestFile, append(b, '\n')}, {SuccessFile, []byte(j.Job + " " + j.Attempt + "\n")}} {
		if err := WriteFile(ctx, configs.JoinPath(dir, f.name), func(w *bufio.Writer) error { _, err := w.Write(f.content); return err }); err != nil {
			return fail(err)
		}
	}
	if err := RemoveFile(ctx, configs.JoinPath(dir, journalFile)); err != nil && !errors.Is(err, ErrNotExist) {
		return fail(err)
	}
	if err := RemoveAll(ctx, j.Staging); err != nil {
		return err
	}
	if !Remote(dir) { // empty directories of staging places gone
		os.Remove(filepath.Join(dir, stagingDir, j.Job))
		os.Remove(filepath.Join(dir, stagingDir))
	}
	return nil
}

// Discard removes the run's staging place: what an interrupted run
// wrote.
func (p *Publication) Discard(ctx context.Context) error {
	if err := RemoveAll(ctx, p.staging); err != nil {
		return err
	}
	if !Remote(p.Dir) {
		os.Remove(filepath.Join(p.Dir, stagingDir, p.Job))
		os.Remove(filepath.Join(p.Dir, stagingDir))
	}
	return nil
}

// stagingOwner says which process a staging place belongs to.
type stagingOwner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

// staleAfter is how old another host's staging place must be before it is
// taken for abandoned.
const staleAfter = 24 * time.Hour

// cleanStaging removes the staging places under dir whose run is gone: a
// process of this host that no longer runs, or another host's place older
// than staleAfter. A run still going keeps its own.
func cleanStaging(ctx context.Context, dir string) error {
	files, err := FilesUnder(ctx, dir)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	seen := map[string]bool{}
	for _, f := range files {
		rel := strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(f, "\\", "/"), strings.ReplaceAll(dir, "\\", "/")), "/")
		attempt, _, _ := strings.Cut(rel, "/")
		if attempt == "" || seen[attempt] {
			continue
		}
		seen[attempt] = true
		place := configs.JoinPath(dir, attempt)
		var o stagingOwner
		b, err := ReadFile(ctx, configs.JoinPath(place, ownerFile))
		if err == nil {
			err = json.Unmarshal(b, &o)
		}
		alive := err == nil && ((o.Host == host && processAlive(o.PID)) || (o.Host != host && time.Since(o.Started) < staleAfter))
		if !alive {
			if err := RemoveAll(ctx, place); err != nil {
				return err
			}
		}
	}
	return nil
}

// processAlive says whether a process of this host runs.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
