package job

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestSlogHandler: slog records (Beam's, prism's) come out as sosie's
// zerolog lines with runner=beam, their attributes as fields (groups
// dotted), info demoted to debug, warnings and errors kept, and the
// logger's level obeyed.
func TestSlogHandler(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(NewSlogHandler(zerolog.New(&buf).Level(zerolog.InfoLevel)))
	l.Info("Job[job-001] state: RUNNING")
	l.With("job", "job-001").WithGroup("bundle").Warn("slow bundle", "ID", "inst9", slog.Int("size", 2164), slog.Group("stage", "name", "s15"))
	l.Error("worker failed", "err", "boom")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the warning and the error (info is debug):\n%s", len(lines), buf.String())
	}
	var warn, fail map[string]any
	json.Unmarshal([]byte(lines[0]), &warn)
	json.Unmarshal([]byte(lines[1]), &fail)
	want := map[string]any{"level": "warn", "runner": "beam", "message": "slow bundle", "job": "job-001", "bundle.ID": "inst9", "bundle.size": 2164.0, "bundle.stage.name": "s15"}
	for k, v := range want {
		if warn[k] != v {
			t.Errorf("warning %s = %v, want %v (%s)", k, warn[k], v, lines[0])
		}
	}
	if fail["level"] != "error" || fail["err"] != "boom" || fail["runner"] != "beam" {
		t.Errorf("error line %s", lines[1])
	}
	buf.Reset()
	slog.New(NewSlogHandler(zerolog.New(&buf).Level(zerolog.DebugLevel))).Info("pipeline done!")
	if !strings.Contains(buf.String(), `"level":"debug"`) || !strings.Contains(buf.String(), `"message":"pipeline done!"`) {
		t.Errorf("at debug level, Beam's info line: %q", buf.String())
	}
}
