package fileio

import (
	"bufio"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sosie-dev/sosie/internal/bqtest"
)

// TestFilesLocalAndRemote: a local directory and a gs:// prefix behave
// alike: a written file reads back whole, a write whose fill fails leaves
// nothing (no half object, no temporary file), and a missing file is
// ErrNotExist whether opened or stat'ed.
func TestFilesLocalAndRemote(t *testing.T) {
	srv := bqtest.NewServer()
	defer srv.Close()
	t.Setenv("STORAGE_EMULATOR_HOST", srv.GCSHost())
	ctx := context.Background()
	local := t.TempDir()
	for name, dir := range map[string]string{"local": local, "remote": "gs://bucket/dir"} {
		t.Run(name, func(t *testing.T) {
			join := func(n string) string { return dir + "/" + n }
			if err := WriteFile(ctx, join("a.txt"), func(w *bufio.Writer) error { _, err := w.WriteString("whole\n"); return err }); err != nil {
				t.Fatal(err)
			}
			if b, err := ReadFile(ctx, join("a.txt")); err != nil || string(b) != "whole\n" {
				t.Fatalf("read back %q, %v", b, err)
			}
			if err := StatFile(ctx, join("a.txt")); err != nil {
				t.Fatal(err)
			}
			failed := errors.New("the fill failed")
			err := WriteFile(ctx, join("half.txt"), func(w *bufio.Writer) error {
				w.WriteString("half of it")
				w.Flush()
				return failed
			})
			if !errors.Is(err, failed) {
				t.Fatalf("a failed fill: %v", err)
			}
			for _, missing := range []string{join("half.txt"), join("none.txt")} {
				if err := StatFile(ctx, missing); !errors.Is(err, ErrNotExist) {
					t.Errorf("StatFile(%s): %v, want ErrNotExist", missing, err)
				}
				if _, err := OpenFile(ctx, missing); !errors.Is(err, ErrNotExist) {
					t.Errorf("OpenFile(%s): %v, want ErrNotExist", missing, err)
				}
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(local, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if objs := srv.Objects(); len(objs) != 1 {
		t.Errorf("objects %v, want gs://bucket/dir/a.txt alone", objs)
	}
}
