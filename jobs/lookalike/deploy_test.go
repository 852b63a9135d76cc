package main

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeploymentExamplesMatchTheJobs keeps the Flex Template metadata and
// the scheduling examples true to the binaries: every template parameter
// and every sosie flag they pass is a flag of the jobs, every binary they
// run is one the Dockerfile builds, and the Workflows file is YAML with
// its main and launch steps.
func TestDeploymentExamplesMatchTheJobs(t *testing.T) {
	var meta struct {
		Parameters []struct{ Name string } `json:"parameters"`
	}
	b, err := os.ReadFile("../../configs/dataflow/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Parameters) == 0 {
		t.Fatal("no template parameter")
	}
	for _, p := range meta.Parameters {
		if flag.Lookup(p.Name) == nil {
			t.Errorf("template parameter %q is no flag of the job", p.Name)
		}
	}
	docker, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	sosieFlag := regexp.MustCompile(`--(config|as-of|as_of|advertiser|run-id|run_id|out)\b`)
	binary := regexp.MustCompile(`(?m)(?:/opt/sosie/|^\s*run )([a-z]+)(?:[\s"]|$)`)
	for _, f := range []string{"sosie_dag.py", "run-day.sh", "workflow.yaml"} {
		b, err := os.ReadFile("../../configs/schedule/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sosieFlag.FindAllStringSubmatch(string(b), -1) {
			if flag.Lookup(m[1]) == nil {
				t.Errorf("%s passes --%s, no flag of the jobs", f, m[1])
			}
		}
		runs := map[string]bool{}
		for _, m := range binary.FindAllStringSubmatch(string(b), -1) {
			runs[m[1]] = true
			if !strings.Contains(string(docker), "./jobs/"+m[1]) {
				t.Errorf("%s runs %s, which the Dockerfile does not build", f, m[1])
			}
		}
		if f != "workflow.yaml" && !(runs["featurize"] && runs["train"] && runs["score"]) {
			t.Errorf("%s runs %v, want featurize, train and score", f, runs)
		}
	}
	var wf map[string]struct {
		Params []string         `yaml:"params"`
		Steps  []map[string]any `yaml:"steps"`
	}
	b, _ = os.ReadFile("../../configs/schedule/workflow.yaml")
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("workflow.yaml: %v", err)
	}
	if len(wf["main"].Steps) == 0 || len(wf["launch"].Steps) == 0 {
		t.Errorf("workflow.yaml lacks its main or launch steps: %v", wf)
	}
}
