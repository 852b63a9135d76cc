package fileio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// paths
)

// Paths anywhere sosie reads or writes a file are local, or name an
// object of a filesystem Beam knows by its scheme (gs://bucket/object):
// workers on Dataflow share no disk, so inputs, outputs and the files the
// jobs hand each other live in Cloud Storage there.

// Remote says whether path is of a filesystem other than the local one.
func Remote(path string) bool { return strings.Contains(path, "://") }

// RemoteTimeout bounds every call to a remote filesystem that is not a
// transfer (a stat, a listing, an open, a delete, a rename) and its
// retries: an unreachable store fails the call, naming the path and the
// endpoint, instead of retrying for ever.
var RemoteTimeout = 60 * time.Second

// RemoteTransferTimeout bounds one whole upload of a file to a remote
// filesystem.
var RemoteTransferTimeout = 30 * time.Minute

// remoteCall runs op under RemoteTimeout and says, when it ran out of
// time, which endpoint did not answer (remoteError adds the path).
func remoteCall(ctx context.Context, _ string, op func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, RemoteTimeout)
	defer cancel()
	err := op(cctx)
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("%s did not answer within %s: %w", storageEndpoint(), RemoteTimeout, err)
	}
	return err
}

// storageEndpoint names where Cloud Storage calls go.
func storageEndpoint() string {
	if h := os.Getenv("STORAGE_EMULATOR_HOST"); h != "" {
		return "Cloud Storage at " + h
	}
	return "Cloud Storage (storage.googleapis.com)"
}

// fileSystem is the Beam filesystem of a remote path.
func fileSystem(ctx context.Context, path string) (filesystem.Interface, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("pipelines: %s: %w", path, err)
	}
	return fs, nil
}

// closeBoth closes a remote file and then its filesystem's client.
type closeBoth struct {
	io.ReadCloser
	fs io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.fs.Close()
	return err
}

// OpenFile opens a local or remote file for reading. A file that is not
// there is an error wrapping ErrNotExist, local or remote.
func OpenFile(ctx context.Context, path string) (io.ReadCloser, error) {
	if !Remote(path) {
		return os.Open(path)
	}
	fs, err := fileSystem(ctx, path)
	if err != nil {
		return nil, err
	}
	// The read itself may take long; whether the object is there, and the
	// store reachable, is known within RemoteTimeout.
	if err := remoteCall(ctx, path, func(ctx context.Context) error { _, err := fs.Size(ctx, path); return err }); err != nil {
		fs.Close()
		return nil, remoteError(path, err)
	}
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		fs.Close()
		return nil, remoteError(path, err)
	}
	return closeBoth{r, fs}, nil
}

// ReadFile reads a whole local or remote file.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	r, err := OpenFile(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// WriteFile writes path whole or not at all: a local file through a
// temporary file beside it and a rename, an object by one upload, which
// appears only once complete. When fill fails nothing is written, and a
// retried bundle replaces the whole.
func WriteFile(ctx context.Context, path string, fill func(*bufio.Writer) error) error {
	d, err := create(ctx, path)
	if err != nil {
		return fmt.Errorf("pipelines: writing %s: %w", path, err)
	}
	w := bufio.NewWriterSize(d, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		d.abort()
		return fmt.Errorf("pipelines: writing %s: %w", path, err)
	}
	if err := d.commit(); err != nil {
		return fmt.Errorf("pipelines: writing %s: %w", path, err)
	}
	return nil
}

// Writer writes one file whole or not at all, as WriteFile does, for a
// writer that cannot hand over all its content in one call: Commit puts
// it in place, Abort leaves no trace of it.
type Writer struct {
	*bufio.Writer
	path string
	d    destination
}

// Create starts writing path (see Writer).
func Create(ctx context.Context, path string) (*Writer, error) {
	d, err := create(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("pipelines: writing %s: %w", path, err)
	}
	return &Writer{Writer: bufio.NewWriterSize(d, 1<<20), path: path, d: d}, nil
}

// Commit flushes what is written and puts the file in place.
func (w *Writer) Commit() error {
	if err := w.Flush(); err != nil {
		w.d.abort()
		return fmt.Errorf("pipelines: writing %s: %w", w.path, err)
	}
	if err := w.d.commit(); err != nil {
		return fmt.Errorf("pipelines: writing %s: %w", w.path, err)
	}
	return nil
}

// Path is the file's path.
func (w *Writer) Path() string { return w.path }

// Abort drops what is written.
func (w *Writer) Abort() { w.d.abort() }

// destination is a file being written: commit puts it in place, abort
// leaves no trace of it.
type destination struct {
	io.Writer
	commit func() error
	abort  func()
}

// create starts writing path: a temporary file beside a local path, an
// upload for a remote one, whose context is cancelled to abort it (a
// storage writer closed otherwise would commit what it has).
func create(ctx context.Context, path string) (destination, error) {
	if Remote(path) {
		fs, err := fileSystem(ctx, path)
		if err != nil {
			return destination{}, err
		}
		wctx, cancel := context.WithTimeout(ctx, RemoteTransferTimeout)
		obj, err := fs.OpenWrite(wctx, path)
		if err != nil {
			cancel()
			fs.Close()
			return destination{}, err
		}
		return destination{Writer: obj,
			commit: func() error { defer fs.Close(); defer cancel(); return obj.Close() },
			abort:  func() { cancel(); obj.Close(); fs.Close() },
		}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return destination{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return destination{}, err
	}
	return destination{Writer: tmp,
		commit: func() error {
			if err := tmp.Close(); err != nil {
				os.Remove(tmp.Name())
				return err
			}
			return os.Rename(tmp.Name(), path)
		},
		abort: func() { tmp.Close(); os.Remove(tmp.Name()) },
	}, nil
}

// RemoveFile deletes a local or remote file.
func RemoveFile(ctx context.Context, path string) error {
	if !Remote(path) {
		return os.Remove(path)
	}
	fs, err := fileSystem(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	rm, ok := fs.(filesystem.Remover)
	if !ok {
		return fmt.Errorf("pipelines: %s: the filesystem cannot remove files", path)
	}
	return remoteError(path, remoteCall(ctx, path, func(ctx context.Context) error { return rm.Remove(ctx, path) }))
}

// RenameFile moves a local or remote file to newpath, on the same
// filesystem, replacing what is there; a local one atomically.
func RenameFile(ctx context.Context, oldpath, newpath string) error {
	if !Remote(oldpath) {
		if err := os.MkdirAll(filepath.Dir(newpath), 0o750); err != nil {
			return err
		}
		return os.Rename(oldpath, newpath)
	}
	fs, err := fileSystem(ctx, oldpath)
	if err != nil {
		return err
	}
	defer fs.Close()
	mv, ok := fs.(filesystem.Renamer)
	if !ok {
		return fmt.Errorf("pipelines: %s: the filesystem cannot rename files", oldpath)
	}
	return remoteError(oldpath, remoteCall(ctx, oldpath, func(ctx context.Context) error { return mv.Rename(ctx, oldpath, newpath) }))
}

// FileSize is the size of a local or remote file; a file that is not
// there is an error wrapping ErrNotExist.
func FileSize(ctx context.Context, path string) (int64, error) {
	if !Remote(path) {
		fi, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	fs, err := fileSystem(ctx, path)
	if err != nil {
		return 0, err
	}
	defer fs.Close()
	var n int64
	err = remoteCall(ctx, path, func(ctx context.Context) error { var err error; n, err = fs.Size(ctx, path); return err })
	return n, remoteError(path, err)
}

// FilesUnder lists every file under a local directory or remote prefix,
// at any depth.
func FilesUnder(ctx context.Context, dir string) ([]string, error) {
	if !Remote(dir) {
		var out []string
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, ErrNotExist) {
					return nil
				}
				return err
			}
			if !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		return out, err
	}
	fs, err := fileSystem(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	var out []string
	err = remoteCall(ctx, dir, func(ctx context.Context) error {
		var err error
		out, err = fs.List(ctx, strings.TrimSuffix(dir, "/")+"/**")
		return err
	})
	return out, remoteError(dir, err)
}

// RemoveAll deletes a local directory or every object under a remote
// prefix; what is not there is no error.
func RemoveAll(ctx context.Context, dir string) error {
	if !Remote(dir) {
		return os.RemoveAll(dir)
	}
	files, err := FilesUnder(ctx, dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := RemoveFile(ctx, f); err != nil && !errors.Is(err, ErrNotExist) {
			return err
		}
	}
	return nil
}

// ErrNotExist says a file is not there: os.ErrNotExist, which local and
// remote errors both wrap.
var ErrNotExist = os.ErrNotExist

// remoteError names the path of a remote filesystem's error and makes a
// missing object an ErrNotExist, as a missing local file is.
func remoteError(path string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, storage.ErrObjectNotExist) {
		return fmt.Errorf("%s: %w", path, ErrNotExist)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// StatFile returns nil when a local or remote file exists, else an error
// wrapping ErrNotExist (or the filesystem's error).
func StatFile(ctx context.Context, path string) error {
	if !Remote(path) {
		_, err := os.Stat(path)
		return err
	}
	_, err := FileSize(ctx, path)
	return err
}

// Glob lists the files a pattern matches, local or remote.
func Glob(ctx context.Context, pattern string) ([]string, error) {
	if !Remote(pattern) {
		return filepath.Glob(pattern)
	}
	fs, err := fileSystem(ctx, pattern)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	var out []string
	err = remoteCall(ctx, pattern, func(ctx context.Context) error { var err error; out, err = fs.List(ctx, pattern); return err })
	return out, err
}
