package reg

// One registration function and one caller type per ProcessElement
// arity sosie uses, all in the same pattern; add an arity by copying one.

import (
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/reflectx"
)

// DoFn1x2 registers a DoFn whose ProcessElement is a func(I0) (R0, R1).
func DoFn1x2[I0, R0, R1 any](doFn interface{ ProcessElement(I0) (R0, R1) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0) (R0, R1)](), func(fn any) reflectx.Func { return &call1x2[I0, R0, R1]{fn.(func(I0) (R0, R1))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0) (R0, R1) })
		return reflectx.MakeFunc(func(a0 I0) (R0, R1) { return d.ProcessElement(a0) })
	})
}

type call1x2[I0, R0, R1 any] struct{ fn func(I0) (R0, R1) }

func (c *call1x2[I0, R0, R1]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call1x2[I0, R0, R1]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call1x2[I0, R0, R1]) Call(args []any) []any {
	o0, o1 := c.fn(args[0].(I0))
	return []any{o0, o1}
}
func (c *call1x2[I0, R0, R1]) Call1x2(a0 any) (any, any) {
	return c.fn(a0.(I0))
}

// DoFn2x0 registers a DoFn whose ProcessElement is a func(I0, I1).
func DoFn2x0[I0, I1 any](doFn interface{ ProcessElement(I0, I1) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1)](), func(fn any) reflectx.Func { return &call2x0[I0, I1]{fn.(func(I0, I1))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1) { d.ProcessElement(a0, a1) })
	})
}

type call2x0[I0, I1 any] struct{ fn func(I0, I1) }

func (c *call2x0[I0, I1]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call2x0[I0, I1]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call2x0[I0, I1]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1))
	return nil
}
func (c *call2x0[I0, I1]) Call2x0(a0, a1 any) {
	c.fn(a0.(I0), a1.(I1))
}

// DoFn2x2 registers a DoFn whose ProcessElement is a func(I0, I1) (R0, R1).
func DoFn2x2[I0, I1, R0, R1 any](doFn interface{ ProcessElement(I0, I1) (R0, R1) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1) (R0, R1)](), func(fn any) reflectx.Func { return &call2x2[I0, I1, R0, R1]{fn.(func(I0, I1) (R0, R1))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1) (R0, R1) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1) (R0, R1) { return d.ProcessElement(a0, a1) })
	})
}

type call2x2[I0, I1, R0, R1 any] struct{ fn func(I0, I1) (R0, R1) }

func (c *call2x2[I0, I1, R0, R1]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call2x2[I0, I1, R0, R1]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call2x2[I0, I1, R0, R1]) Call(args []any) []any {
	o0, o1 := c.fn(args[0].(I0), args[1].(I1))
	return []any{o0, o1}
}
func (c *call2x2[I0, I1, R0, R1]) Call2x2(a0, a1 any) (any, any) {
	return c.fn(a0.(I0), a1.(I1))
}

// DoFn3x0 registers a DoFn whose ProcessElement is a func(I0, I1, I2).
func DoFn3x0[I0, I1, I2 any](doFn interface{ ProcessElement(I0, I1, I2) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2)](), func(fn any) reflectx.Func { return &call3x0[I0, I1, I2]{fn.(func(I0, I1, I2))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2) { d.ProcessElement(a0, a1, a2) })
	})
}

type call3x0[I0, I1, I2 any] struct{ fn func(I0, I1, I2) }

func (c *call3x0[I0, I1, I2]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call3x0[I0, I1, I2]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call3x0[I0, I1, I2]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1), args[2].(I2))
	return nil
}
func (c *call3x0[I0, I1, I2]) Call3x0(a0, a1, a2 any) {
	c.fn(a0.(I0), a1.(I1), a2.(I2))
}

// DoFn3x1 registers a DoFn whose ProcessElement is a func(I0, I1, I2) R0.
func DoFn3x1[I0, I1, I2, R0 any](doFn interface{ ProcessElement(I0, I1, I2) R0 }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2) R0](), func(fn any) reflectx.Func { return &call3x1[I0, I1, I2, R0]{fn.(func(I0, I1, I2) R0)} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2) R0 })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2) R0 { return d.ProcessElement(a0, a1, a2) })
	})
}

type call3x1[I0, I1, I2, R0 any] struct{ fn func(I0, I1, I2) R0 }

func (c *call3x1[I0, I1, I2, R0]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call3x1[I0, I1, I2, R0]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call3x1[I0, I1, I2, R0]) Call(args []any) []any {
	o0 := c.fn(args[0].(I0), args[1].(I1), args[2].(I2))
	return []any{o0}
}
func (c *call3x1[I0, I1, I2, R0]) Call3x1(a0, a1, a2 any) any {
	return c.fn(a0.(I0), a1.(I1), a2.(I2))
}

// DoFn4x0 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3).
func DoFn4x0[I0, I1, I2, I3 any](doFn interface{ ProcessElement(I0, I1, I2, I3) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3)](), func(fn any) reflectx.Func { return &call4x0[I0, I1, I2, I3]{fn.(func(I0, I1, I2, I3))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2, I3) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3) { d.ProcessElement(a0, a1, a2, a3) })
	})
}

type call4x0[I0, I1, I2, I3 any] struct{ fn func(I0, I1, I2, I3) }

func (c *call4x0[I0, I1, I2, I3]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call4x0[I0, I1, I2, I3]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call4x0[I0, I1, I2, I3]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3))
	return nil
}
func (c *call4x0[I0, I1, I2, I3]) Call4x0(a0, a1, a2, a3 any) {
	c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3))
}

// DoFn4x1 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3) R0.
func DoFn4x1[I0, I1, I2, I3, R0 any](doFn interface{ ProcessElement(I0, I1, I2, I3) R0 }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3) R0](), func(fn any) reflectx.Func { return &call4x1[I0, I1, I2, I3, R0]{fn.(func(I0, I1, I2, I3) R0)} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2, I3) R0 })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3) R0 { return d.ProcessElement(a0, a1, a2, a3) })
	})
}

type call4x1[I0, I1, I2, I3, R0 any] struct{ fn func(I0, I1, I2, I3) R0 }

func (c *call4x1[I0, I1, I2, I3, R0]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call4x1[I0, I1, I2, I3, R0]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call4x1[I0, I1, I2, I3, R0]) Call(args []any) []any {
	o0 := c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3))
	return []any{o0}
}
func (c *call4x1[I0, I1, I2, I3, R0]) Call4x1(a0, a1, a2, a3 any) any {
	return c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3))
}

// DoFn5x0 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3, I4).
func DoFn5x0[I0, I1, I2, I3, I4 any](doFn interface{ ProcessElement(I0, I1, I2, I3, I4) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3, I4)](), func(fn any) reflectx.Func { return &call5x0[I0, I1, I2, I3, I4]{fn.(func(I0, I1, I2, I3, I4))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2, I3, I4) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3, a4 I4) { d.ProcessElement(a0, a1, a2, a3, a4) })
	})
}

type call5x0[I0, I1, I2, I3, I4 any] struct{ fn func(I0, I1, I2, I3, I4) }

func (c *call5x0[I0, I1, I2, I3, I4]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call5x0[I0, I1, I2, I3, I4]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call5x0[I0, I1, I2, I3, I4]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3), args[4].(I4))
	return nil
}
func (c *call5x0[I0, I1, I2, I3, I4]) Call5x0(a0, a1, a2, a3, a4 any) {
	c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3), a4.(I4))
}

// DoFn5x1 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3, I4) R0.
func DoFn5x1[I0, I1, I2, I3, I4, R0 any](doFn interface{ ProcessElement(I0, I1, I2, I3, I4) R0 }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3, I4) R0](), func(fn any) reflectx.Func { return &call5x1[I0, I1, I2, I3, I4, R0]{fn.(func(I0, I1, I2, I3, I4) R0)} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2, I3, I4) R0 })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3, a4 I4) R0 { return d.ProcessElement(a0, a1, a2, a3, a4) })
	})
}

type call5x1[I0, I1, I2, I3, I4, R0 any] struct{ fn func(I0, I1, I2, I3, I4) R0 }

func (c *call5x1[I0, I1, I2, I3, I4, R0]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call5x1[I0, I1, I2, I3, I4, R0]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call5x1[I0, I1, I2, I3, I4, R0]) Call(args []any) []any {
	o0 := c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3), args[4].(I4))
	return []any{o0}
}
func (c *call5x1[I0, I1, I2, I3, I4, R0]) Call5x1(a0, a1, a2, a3, a4 any) any {
	return c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3), a4.(I4))
}

// DoFn6x0 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3, I4, I5).
func DoFn6x0[I0, I1, I2, I3, I4, I5 any](doFn interface{ ProcessElement(I0, I1, I2, I3, I4, I5) }) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3, I4, I5)](), func(fn any) reflectx.Func { return &call6x0[I0, I1, I2, I3, I4, I5]{fn.(func(I0, I1, I2, I3, I4, I5))} })
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface{ ProcessElement(I0, I1, I2, I3, I4, I5) })
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3, a4 I4, a5 I5) { d.ProcessElement(a0, a1, a2, a3, a4, a5) })
	})
}

type call6x0[I0, I1, I2, I3, I4, I5 any] struct{ fn func(I0, I1, I2, I3, I4, I5) }

func (c *call6x0[I0, I1, I2, I3, I4, I5]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call6x0[I0, I1, I2, I3, I4, I5]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call6x0[I0, I1, I2, I3, I4, I5]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3), args[4].(I4), args[5].(I5))
	return nil
}
func (c *call6x0[I0, I1, I2, I3, I4, I5]) Call6x0(a0, a1, a2, a3, a4, a5 any) {
	c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3), a4.(I4), a5.(I5))
}

// DoFn6x1 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3, I4, I5) R0.
func DoFn6x1[I0, I1, I2, I3, I4, I5, R0 any](doFn interface {
	ProcessElement(I0, I1, I2, I3, I4, I5) R0
}) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3, I4, I5) R0](), func(fn any) reflectx.Func {
		return &call6x1[I0, I1, I2, I3, I4, I5, R0]{fn.(func(I0, I1, I2, I3, I4, I5) R0)}
	})
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface {
			ProcessElement(I0, I1, I2, I3, I4, I5) R0
		})
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3, a4 I4, a5 I5) R0 { return d.ProcessElement(a0, a1, a2, a3, a4, a5) })
	})
}

type call6x1[I0, I1, I2, I3, I4, I5, R0 any] struct {
	fn func(I0, I1, I2, I3, I4, I5) R0
}

func (c *call6x1[I0, I1, I2, I3, I4, I5, R0]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call6x1[I0, I1, I2, I3, I4, I5, R0]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call6x1[I0, I1, I2, I3, I4, I5, R0]) Call(args []any) []any {
	o0 := c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3), args[4].(I4), args[5].(I5))
	return []any{o0}
}
func (c *call6x1[I0, I1, I2, I3, I4, I5, R0]) Call6x1(a0, a1, a2, a3, a4, a5 any) any {
	return c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3), a4.(I4), a5.(I5))
}

// DoFn7x0 registers a DoFn whose ProcessElement is a func(I0, I1, I2, I3, I4, I5, I6).
func DoFn7x0[I0, I1, I2, I3, I4, I5, I6 any](doFn interface {
	ProcessElement(I0, I1, I2, I3, I4, I5, I6)
}) {
	reflectx.RegisterFunc(reflect.TypeFor[func(I0, I1, I2, I3, I4, I5, I6)](), func(fn any) reflectx.Func {
		return &call7x0[I0, I1, I2, I3, I4, I5, I6]{fn.(func(I0, I1, I2, I3, I4, I5, I6))}
	})
	register(doFn, func(fn any) reflectx.Func {
		d := fn.(interface {
			ProcessElement(I0, I1, I2, I3, I4, I5, I6)
		})
		return reflectx.MakeFunc(func(a0 I0, a1 I1, a2 I2, a3 I3, a4 I4, a5 I5, a6 I6) { d.ProcessElement(a0, a1, a2, a3, a4, a5, a6) })
	})
}

type call7x0[I0, I1, I2, I3, I4, I5, I6 any] struct {
	fn func(I0, I1, I2, I3, I4, I5, I6)
}

func (c *call7x0[I0, I1, I2, I3, I4, I5, I6]) Name() string       { return reflectx.FunctionName(c.fn) }
func (c *call7x0[I0, I1, I2, I3, I4, I5, I6]) Type() reflect.Type { return reflect.TypeOf(c.fn) }
func (c *call7x0[I0, I1, I2, I3, I4, I5, I6]) Call(args []any) []any {
	c.fn(args[0].(I0), args[1].(I1), args[2].(I2), args[3].(I3), args[4].(I4), args[5].(I5), args[6].(I6))
	return nil
}
func (c *call7x0[I0, I1, I2, I3, I4, I5, I6]) Call7x0(a0, a1, a2, a3, a4, a5, a6 any) {
	c.fn(a0.(I0), a1.(I1), a2.(I2), a3.(I3), a4.(I4), a5.(I5), a6.(I6))
}
