package pipelines_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines"
)

// JoinByPhone makes one person of the profiles apps have under one person
// key; demographics come from the most recently updated profile that
// knows them.
func ExampleJoinByPhone() {
	at := func(month int) time.Time { return time.Date(2026, time.Month(month), 1, 0, 0, 0, 0, time.UTC) }
	p, s := beam.NewPipelineWithRoot()
	facebook := beam.Create(s,
		pipelines.AccountProfile{Profile: features.AppProfile{PersonKey: "k1", App: "facebook", Accounts: 1, Country: "FR", BirthYear: 1990, UpdatedAt: at(3)}},
		pipelines.AccountProfile{Profile: features.AppProfile{PersonKey: "k2", App: "facebook", Accounts: 1, Country: "DE", UpdatedAt: at(5)}})
	instagram := beam.Create(s,
		pipelines.AccountProfile{Profile: features.AppProfile{PersonKey: "k1", App: "instagram", Accounts: 1, Country: "BE", UpdatedAt: at(9)}})
	persons, _ := pipelines.JoinByPhone(s, 0, 0, facebook, instagram)

	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "persons.jsonl")
	pipelines.WriteJSONL(s, out, persons, pipelines.JSONLOptions{}) // sorted lines
	if err := ptest.Run(p); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(out)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var person features.Person
		json.Unmarshal([]byte(line), &person)
		var apps []string
		for _, a := range person.Apps {
			apps = append(apps, a.App)
		}
		fmt.Println(person.Key, person.Country, person.BirthYear, strings.Join(apps, "+"))
	}
	// Output:
	// k1 BE 1990 facebook+instagram
	// k2 DE 0 facebook
}
