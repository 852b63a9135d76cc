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

// OpenFile opens a local or remote file for reading.
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
		return nil, fmt.Errorf("open %s: %w", path, err)
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
// appears only once complete. A retried bundle replaces the whole.
func WriteFile(ctx context.Context, path string, fill func(*bufio.Writer) error) error {
	if Remote(path) {
		fs, err := fileSystem(ctx, path)
		if err != nil {
			return err
		}
		defer fs.Close()
		obj, err := fs.OpenWrite(ctx, path)
		if err != nil {
			return fmt.Errorf("pipelines: writing %s: %w", path, err)
		}
		w := bufio.NewWriterSize(obj, 1<<20)
		err = fill(w)
		if err == nil {
			err = w.Flush()
		}
		// Closing commits the upload: an error must not commit half a file,
		// and a storage writer whose context is done discards it.
		if cerr := obj.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("pipelines: writing %s: %w", path, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pipelines: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("pipelines: %w", err)
	}
	return nil
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

// ErrNotExist says a file is not there.
var ErrNotExist = errors.New("no such file")

// StatFile returns nil when a local or remote file exists, else an error
// wrapping ErrNotExist (or the filesystem's error).
func StatFile(ctx context.Context, path string) error {
	if !Remote(path) {
		_, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotExist, path)
		}
		return err
	}
	files, err := globFiles(ctx, path)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f == path {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrNotExist, path)
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
