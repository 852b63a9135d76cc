package pipelines

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
		wctx, cancel := context.WithCancel(ctx)
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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
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
	return rm.Remove(ctx, path)
}

// ErrNotExist says a file is not there: os.ErrNotExist, which local and
// remote errors both wrap.
var ErrNotExist = os.ErrNotExist

// remoteError names the path of a remote filesystem's error and makes a
// missing object an ErrNotExist, as a missing local file is.
func remoteError(path string, err error) error {
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
	fs, err := fileSystem(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	if _, err := fs.Size(ctx, path); err != nil {
		return remoteError(path, err)
	}
	return nil
}

// globFiles lists the files a pattern matches, local or remote.
func globFiles(ctx context.Context, pattern string) ([]string, error) {
	if !Remote(pattern) {
		return filepath.Glob(pattern)
	}
	fs, err := fileSystem(ctx, pattern)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	return fs.List(ctx, pattern)
}
