package pipelines

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sosie-dev/sosie/configs"
	"github.com/sosie-dev/sosie/features"
)

// TestBucketFn: every record a bundle gives bucketFn comes out once, in
// its key's bucket and in its order, whether its block was emitted full
// (maxBlockBytes), because the bundle held too much (maxBundleBuffer) or
// when the bundle ended; and a cut block is refused, not read short.
func TestBucketFn(t *testing.T) {
	type rec struct{ key, value string }
	for _, c := range []struct {
		name    string
		buckets int
		n       int // records
		bytes   int // of each record's value
	}{
		{"small bundle", 7, 100, 10},
		{"full blocks", 7, 40, maxBlockBytes / 8},
		{"bundle buffer", 1024, 5000, 16 << 10}, // ~5 records of 16 KiB a bucket, 80 MB in all
	} {
		t.Run(c.name, func(t *testing.T) {
			buckets := c.buckets
			f := &bucketFn{Buckets: buckets}
			f.Setup()
			var sent []rec
			got := map[int][]rec{}
			var emitted, early int
			emit := func(b int, block []byte) {
				emitted++
				err := eachRecord(block, func(key string, v []byte) error {
					got[b] = append(got[b], rec{key, string(v)})
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			for i := range c.n {
				r := rec{fmt.Sprintf("user%d", i%(c.n/2+1)), fmt.Sprintf("%d:%s", i, strings.Repeat("x", c.bytes))}
				sent = append(sent, r)
				f.ProcessElement(r.key, []byte(r.value), emit)
			}
			early = emitted
			f.FinishBundle(emit)
			var n int
			want := map[int][]rec{}
			for _, r := range sent {
				want[bucketOf(r.key, buckets)] = append(want[bucketOf(r.key, buckets)], r)
			}
			for b := range buckets {
				if len(got[b]) != len(want[b]) {
					t.Fatalf("bucket %d: %d records, want %d", b, len(got[b]), len(want[b]))
				}
				for i := range got[b] {
					if got[b][i] != want[b][i] {
						t.Fatalf("bucket %d record %d: key %s, want %s", b, i, got[b][i].key, want[b][i].key)
					}
				}
				n += len(got[b])
			}
			if n != c.n {
				t.Errorf("%d records out, want %d", n, c.n)
			}
			if c.name != "small bundle" && early == 0 {
				t.Errorf("no block emitted before the bundle ended (%d records of %d bytes)", c.n, c.bytes)
			}
			if f.w.buffered != 0 {
				t.Errorf("%d bytes still buffered after FinishBundle", f.w.buffered)
			}
		})
	}

	// A bundle that failed before it ended leaves nothing to the next.
	f := &bucketFn{Buckets: 3}
	f.Setup()
	f.ProcessElement("lost", []byte("x"), func(int, []byte) { t.Fatal("emitted early") })
	f.StartBundle(nil)
	f.FinishBundle(func(_ int, block []byte) {
		eachRecord(block, func(key string, _ []byte) error {
			t.Errorf("record %q of a failed bundle emitted by the next", key)
			return nil
		})
	})

	block := appendRecord(appendRecord(nil, "u1", []byte("one")), "u2", []byte("two"))
	for cut := 1; cut < len(block); cut++ {
		err := eachRecord(sealBlock(block[:cut]), func(string, []byte) error { return nil })
		if cut != len(appendRecord(nil, "u1", []byte("one"))) && !errors.Is(err, features.ErrWire) {
			t.Errorf("block cut at %d of %d: %v, want a wire error", cut, len(block), err)
		}
	}
	sealed := sealBlock(block)
	for cut := 1; cut < len(sealed); cut++ {
		if err := eachRecord(sealed[:cut], func(string, []byte) error { return nil }); !errors.Is(err, features.ErrWire) {
			t.Errorf("sealed block cut at %d of %d: %v, want a wire error", cut, len(sealed), err)
		}
	}
}

// TestShuffleBuckets: one bucket per 8 MiB of accounts files, from 16
// to 4,096.
func TestShuffleBuckets(t *testing.T) {
	for _, c := range []struct {
		bytes int64
		want  int
	}{{0, 16}, {30 << 20, 16}, {310 << 20, 39}, {400 << 30, 4096}} {
		if got := ShuffleBuckets(c.bytes); got != c.want {
			t.Errorf("ShuffleBuckets(%d) = %d, want %d", c.bytes, got, c.want)
		}
	}
}

// TestShuffleBucketsOfGraph: the graphs take the configured buckets, or
// size them from the apps' accounts files, or take DefaultBuckets when an
// app reads a table.
func TestShuffleBucketsOfGraph(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		// Sparse files: their size, not their bytes, sizes the buckets.
		if err := f.Truncate(100 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		files = append(files, path)
	}
	files = append(files, filepath.Join(dir, "*.jsonl")) // both, by a pattern
	for _, c := range []struct {
		name string
		o    GraphOptions
		want int
	}{
		{"configured", GraphOptions{Apps: []configs.App{{Name: "fb", Accounts: files[:1]}}, Featurize: FeaturizeOptions{Buckets: 7}}, 7},
		{"files", GraphOptions{Apps: []configs.App{{Name: "fb", Accounts: files[:1]}, {Name: "ig", Accounts: files[1:2]}}}, 25},
		{"glob", GraphOptions{Apps: []configs.App{{Name: "fb", Accounts: files[2:]}}}, 25},
		{"table", GraphOptions{Apps: []configs.App{{Name: "fb", Accounts: files[:1]}, {Name: "ig", AccountsTable: "d.t"}}}, DefaultBuckets},
	} {
		got, err := shuffleBuckets(context.Background(), c.o)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	if _, err := shuffleBuckets(context.Background(), GraphOptions{Apps: []configs.App{{Name: "fb", Accounts: []string{filepath.Join(dir, "none-*.csv")}}}}); err == nil || !strings.Contains(err.Error(), "app fb accounts") {
		t.Errorf("a pattern matching nothing: %v, want an error naming the app", err)
	}
}
