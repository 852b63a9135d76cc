package reg

import (
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/reflectx"
)

// register records the DoFn's type and the struct types its
// ProcessElement takes or returns (Beam needs them to rebuild the DoFn
// and code its elements on the workers), and a struct wrapper that
// gives Beam ProcessElement as a typed reflectx.Func.
func register(doFn any, processElement func(fn any) reflectx.Func) {
	t := reflect.TypeOf(doFn)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic("reg: a DoFn is registered as a pointer to its struct, got " + t.String())
	}
	beam.RegisterType(t.Elem())
	pe, _ := t.MethodByName("ProcessElement")
	for i := 1; i < pe.Type.NumIn(); i++ { // 0 is the receiver
		registerStruct(pe.Type.In(i))
	}
	for i := range pe.Type.NumOut() {
		registerStruct(pe.Type.Out(i))
	}
	reflectx.RegisterStructWrapper(t.Elem(), func(fn any) map[string]reflectx.Func {
		return map[string]reflectx.Func{"ProcessElement": processElement(fn)}
	})
}

func registerStruct(t reflect.Type) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		beam.RegisterType(t)
	}
}
