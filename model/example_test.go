package model_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/sosie-dev/sosie/model"
)

// Seeds sit apart from the population on the first feature; Fit finds it
// and scores people who look like the seeds higher.
func ExampleFit() {
	rng := rand.New(rand.NewPCG(1, 2))
	row := func(shift float64) []float64 {
		return []float64{rng.NormFloat64() + shift, rng.NormFloat64(), rng.NormFloat64()}
	}
	seeds := mat.NewDense(200, 3, nil)
	for i := range 200 {
		seeds.SetRow(i, row(1.5))
	}
	population := mat.NewDense(4000, 3, nil)
	for i := range 4000 {
		population.SetRow(i, row(0))
	}
	m, rep, err := model.Fit(seeds, population, nil, model.Settings{Seed: 7})
	if err != nil {
		panic(err)
	}
	people := mat.NewDense(2, 3, []float64{
		2, 0, 0, // like the seeds
		-1, 0, 0, // not
	})
	scores := make([]float64, 2)
	if err := m.Score(scores, people); err != nil {
		panic(err)
	}
	fmt.Println("predictive:", rep.Predictive)
	fmt.Println("top feature:", rep.TopFeatures[0].Index)
	fmt.Println("first scores higher:", scores[0] > scores[1])
	// Output:
	// predictive: true
	// top feature: 0
	// first scores higher: true
}

func ExampleAUC() {
	score := []float64{0.9, 0.8, 0.7, 0.6}
	label := []float64{1, 0, 1, 0}
	fmt.Printf("%.2f\n", model.AUC(score, label))
	// Output: 0.75
}

func ExampleRanking_RecallAt() {
	score := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	label := []float64{1, 0, 1, 0, 0, 0, 0, 0, 0, 1}
	r := model.NewRanking(score, label)
	fmt.Printf("recall at 30%%: %.2f, lift at 30%%: %.2f\n", r.RecallAt(30), r.LiftAt(30))
	// Output: recall at 30%: 0.67, lift at 30%: 2.22
}
