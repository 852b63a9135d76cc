package job

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileMatchesGoMod: the Dockerfile builds with the Go and Beam
// versions go.mod names, and builds every job binary.
func TestDockerfileMatchesGoMod(t *testing.T) {
	df, err := os.ReadFile("../../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	arg := func(name string) string {
		m := regexp.MustCompile(`(?m)^ARG ` + name + `=(\S+)$`).FindSubmatch(df)
		if m == nil {
			t.Fatalf("the Dockerfile has no ARG %s", name)
		}
		return string(m[1])
	}
	beam := regexp.MustCompile(`github.com/apache/beam/sdks/v2 v(\S+)`).FindSubmatch(mod)
	goDirective := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if beam == nil || goDirective == nil {
		t.Fatal("go.mod names no Beam or Go version")
	}
	if got := arg("BEAM_VERSION"); got != string(beam[1]) {
		t.Errorf("Dockerfile BEAM_VERSION %s, go.mod has Beam %s", got, beam[1])
	}
	if got := arg("GO_VERSION"); !strings.HasPrefix(got, string(goDirective[1])+".") {
		t.Errorf("Dockerfile GO_VERSION %s, go.mod says go %s", got, goDirective[1])
	}
	entries, err := os.ReadDir("../../../jobs")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		if _, err := os.Stat("../../../jobs/" + e.Name() + "/main.go"); err != nil {
			continue
		}
		if e.Name() != "evaluate" && !strings.Contains(string(df), "./jobs/"+e.Name()) {
			t.Errorf("the Dockerfile does not build jobs/%s", e.Name())
		}
	}
}
