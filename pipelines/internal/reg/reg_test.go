package reg

import (
	"context"
	"reflect"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/reflectx"
)

type pair struct{ A, B int }

type addFn struct{ Offset int }

func (f *addFn) ProcessElement(_ context.Context, p pair, emit func(int)) error {
	emit(p.A + p.B + f.Offset)
	return nil
}

func (f *addFn) FinishBundle(emit func(int)) { emit(-1) }

func init() { DoFn3x1[context.Context, pair, func(int), error](&addFn{}) }

// The DoFn reaches Beam as a typed 3x1 caller (the executor's fast path,
// no reflect.Call), with the DoFn's fields, and its other lifecycle
// methods still found by reflection.
func TestProcessElementIsTyped(t *testing.T) {
	methods, ok := reflectx.WrapMethods(&addFn{Offset: 10})
	if !ok {
		t.Fatal("no struct wrapper registered for addFn")
	}
	pe, ok := methods["ProcessElement"].(reflectx.Func3x1)
	if !ok {
		t.Fatalf("ProcessElement is a %T, not a reflectx.Func3x1", methods["ProcessElement"])
	}
	var got []int
	if err := pe.Call3x1(context.Background(), pair{1, 2}, func(v int) { got = append(got, v) }); err != nil {
		t.Fatalf("Call3x1: %v", err)
	}
	if len(got) != 1 || got[0] != 13 {
		t.Fatalf("emitted %v, want [13]", got)
	}

	fn, err := graph.NewFn(&addFn{})
	if err != nil {
		t.Fatal(err)
	}
	dofn, err := graph.AsDoFn(fn, graph.MainSingle)
	if err != nil {
		t.Fatalf("Beam refuses the DoFn: %v", err)
	}
	if dofn.FinishBundleFn() == nil {
		t.Error("FinishBundle is lost: Beam should still find it by reflection")
	}
}

// The DoFn and the struct types of its ProcessElement are registered, so
// a worker can rebuild the DoFn and code its elements.
func TestTypesAreRegistered(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[addFn](), reflect.TypeFor[pair]()} {
		key, ok := runtime.TypeKey(typ)
		if !ok {
			t.Fatalf("%v has no type key", typ)
		}
		if _, ok := runtime.LookupType(key); !ok {
			t.Errorf("type %v is not registered", typ)
		}
	}
}
