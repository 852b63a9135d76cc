package pipelines

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// ApplyPolicy keeps of every person only the data the privacy policy
// allows (features.Policy.Apply): PCollection<features.Person> in, the
// persons left, rebuilt from their usable profiles, out. It runs right
// after the join (and again where a job reads persons written by another
// run), so nothing downstream — matching, training, scoring — sees data
// the rules forbid.
//
// Counters, which balance: policy_persons_in = policy_persons_kept +
// policy_excluded; and one policy_<rule> per rule (consent_<flag>_<app>,
// cross_app_<app>, block_<app>_<country>) with the persons it affected.
func ApplyPolicy(s beam.Scope, policy features.Policy, persons beam.PCollection) beam.PCollection {
	s = s.Scope("pipelines.ApplyPolicy")
	return beam.ParDo(s, &applyPolicyFn{Policy: policy}, persons)
}

var (
	policyIn   = beam.NewCounter("sosie", "policy_persons_in")
	policyKept = beam.NewCounter("sosie", "policy_persons_kept")
)

// PolicyCounter is the name of the counter of persons a rule affected.
func PolicyCounter(r features.Rule) string { return "policy_" + string(r) }

type applyPolicyFn struct {
	Policy features.Policy `json:"policy"`
}

func (f *applyPolicyFn) ProcessElement(ctx context.Context, p features.Person, emit func(features.Person)) {
	policyIn.Inc(ctx, 1)
	out, rules, ok := f.Policy.Apply(p)
	for _, r := range rules {
		beam.NewCounter("sosie", PolicyCounter(r)).Inc(ctx, 1)
	}
	if ok {
		policyKept.Inc(ctx, 1)
		emit(out)
	}
}

func init() {
	reg.DoFn3x0[context.Context, features.Person, func(features.Person)](&applyPolicyFn{})
}
