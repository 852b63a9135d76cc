package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestBinaryEntersWorkerMode builds the job binary and starts it as a
// runner starts a worker (--worker with control and logging endpoints):
// it must dial the runner's control endpoint — beam.Init entering the
// harness — and never run the job itself (no output written).
func TestBinaryEntersWorkerMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "lookalike")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "--worker", "--id=w1", "--control_endpoint="+lis.Addr().String(),
		"--logging_endpoint="+lis.Addr().String(), "--out", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	accepted := make(chan error, 1)
	go func() {
		c, err := lis.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	select {
	case err := <-accepted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the binary started with --worker did not dial the control endpoint in 60 s")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the binary in worker mode ran the job: %s exists", out)
	}
}
