package job

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

// profileEvery is how often a profiled run looks at its heap.
const profileEvery = 2 * time.Second

// startProfile profiles the whole process — the runner included — when
// SOSIE_PPROF names a directory: cpu.pprof over the run, and heap.pprof
// taken when the heap in use was largest (sampled every two seconds), so
// `go tool pprof -top DIR/heap.pprof` shows what the peak is made of. The
// returned function stops it and writes the files; it says what it wrote.
func startProfile(dir string) (stop func() ([]string, error), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("SOSIE_PPROF: %w", err)
	}
	cpu, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("SOSIE_PPROF: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, fmt.Errorf("SOSIE_PPROF: %w", err)
	}
	heapPath := filepath.Join(dir, "heap.pprof")
	done, finished := make(chan struct{}), make(chan error, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		t := time.NewTicker(profileEvery)
		defer t.Stop()
		var firstErr error
		for {
			select {
			case <-done:
				finished <- firstErr
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse <= peak {
				continue
			}
			peak = ms.HeapInuse
			if err := writeHeap(heapPath); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}()
	return func() ([]string, error) {
		pprof.StopCPUProfile()
		close(done)
		herr := <-finished
		if err := cpu.Close(); err != nil {
			return nil, err
		}
		if _, err := os.Stat(heapPath); err != nil {
			// A run shorter than one sample: its end is its peak.
			herr = writeHeap(heapPath)
		}
		return []string{cpu.Name(), heapPath}, herr
	}, nil
}

// writeHeap writes the heap profile (objects in use and allocated) to path.
func writeHeap(path string) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
