package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// TestPortableRunner starts a standalone prism job server (built from the
// Beam module, go/cmd/prism) on a free loopback port and runs the job
// binary through it as through Flink's or Spark's job server
// (--runner=universal --endpoint=... --environment_type=LOOPBACK): the
// prospects are those of the in-process run. The server is stopped at
// the end.
func TestPortableRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a job server")
	}
	dir := t.TempDir()
	prism, bin := filepath.Join(dir, "prism"), filepath.Join(dir, "lookalike")
	for _, b := range [][]string{{"-o", prism, "github.com/apache/beam/sdks/v2/go/cmd/prism"}, {"-o", bin, "."}} {
		if out, err := exec.Command("go", append([]string{"build"}, b...)...).CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", b, err, out)
		}
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := lis.Addr().(*net.TCPAddr).Port
	lis.Close()
	server := exec.Command(prism, "--job_port="+strconv.Itoa(port), "--serve_http=false")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { server.Process.Kill(); server.Wait() }()
	endpoint := "localhost:" + strconv.Itoa(port)
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", endpoint); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the job server did not listen in 30 s")
		}
	}
	run := func(out string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--out", out, "--persons", "4000"}, args...)...)
		cmd.Env = append(os.Environ(), "SOSIE_PEPPER=a test pepper, thirty-two bytes or more")
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, b)
		}
		return b
	}
	inProcess, portable := filepath.Join(dir, "in"), filepath.Join(dir, "portable")
	stdout := strings.Split(strings.TrimSpace(string(run(inProcess))), "\n")
	// The last line is the summary a scheduler reads.
	var sum struct {
		Job, Status, Report string
		ExitCode            int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(stdout[len(stdout)-1]), &sum); err != nil || sum.Job != "lookalike" || sum.Status != "ok" ||
		sum.ExitCode != 0 || sum.Report != filepath.Join(inProcess, "report.json") {
		t.Errorf("summary line %q: %+v, %v", stdout[len(stdout)-1], sum, err)
	}
	run(portable, "--runner=universal", "--endpoint="+endpoint, "--environment_type=LOOPBACK")
	read := func(dir string) []string {
		var out []string
		b, err := os.ReadFile(filepath.Join(dir, "prospects.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var p map[string]any
			json.Unmarshal([]byte(line), &p)
			delete(p, "scored_at")
			k, _ := json.Marshal(p)
			out = append(out, string(k))
		}
		return out
	}
	a, b := read(inProcess), read(portable)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("through the job server %d prospects, in process %d, or other ones", len(b), len(a))
	}
	var rep struct {
		Counters map[string]int64 `json:"counters"`
	}
	raw, _ := os.ReadFile(filepath.Join(portable, "report.json"))
	json.Unmarshal(raw, &rep)
	if rep.Counters["audience_prospects_delivered"] != int64(len(b)) {
		t.Errorf("the job server's counters: %d prospects counted, %d written", rep.Counters["audience_prospects_delivered"], len(b))
	}
}
