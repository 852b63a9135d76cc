package pipelines

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/model"
)

// TestScoreFnRetriedBundle: the persons a failed bundle left in scoreFn's
// block are not scored with the next bundle of the same instance.
func TestScoreFnRetriedBundle(t *testing.T) {
	ctx := context.Background()
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	opt := TrainOptions{RunID: "r", Lists: []string{"l"}, Window: features.ActivityWindow{AsOf: asOf},
		MinSeeds: 2, Model: model.Settings{Kind: model.KindMeanDiff}}
	schema, err := features.NewSchema(opt.Schema)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var rows []trainRow
	for i := range 60 {
		x := make([]float64, schema.Len())
		for j := range x {
			x[j] = r.NormFloat64()
		}
		rows = append(rows, trainRow{Seed: i < 20, Weight: 1, X: x})
	}
	var models []TrainedModel
	if err := (&fitFn{Options: opt}).ProcessElement(ctx, "l", iterOf(rows), func(m TrainedModel) { models = append(models, m) }); err != nil {
		t.Fatal(err)
	}
	f := &scoreFn{Options: opt}
	if err := f.Setup(); err != nil {
		t.Fatal(err)
	}
	person := func(key string) seededPerson {
		return seededPerson{Person: features.Person{Key: key, Country: "FR", Apps: []features.AppProfile{{PersonKey: key, App: "facebook", Accounts: 1}}}}
	}
	var got []string
	keep := func(s listScore) { got = append(got, s.Key) }
	if err := f.ProcessElement(ctx, person("lost"), iterOf(models), keep); err != nil {
		t.Fatal(err)
	}
	f.StartBundle(iterOf(models), keep)
	if err := f.ProcessElement(ctx, person("kept"), iterOf(models), keep); err != nil {
		t.Fatal(err)
	}
	if err := f.FinishBundle(ctx, iterOf(models), keep); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "kept" {
		t.Errorf("scored %v, want [kept] (lost was in the failed bundle)", got)
	}
}
