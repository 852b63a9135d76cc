// Package reg registers sosie's structural DoFns with Beam's Go SDK at a
// fraction of the build cost of Beam's register.DoFnNxM.
//
// register.DoFnNxM instantiates, for every DoFn, wrappers for every
// signature StartBundle and FinishBundle could have: a few DoFns made
// the pipelines package take a minute and 6 GB to compile and its
// archive 600 MB. What runs per element is only ProcessElement, so reg
// registers the DoFn's types and a struct wrapper with a typed caller for
// ProcessElement alone — the same fast, reflection-free path Beam's
// executor takes for register.DoFnNxM — and leaves Setup, StartBundle,
// FinishBundle and Teardown, called once per bundle, to Beam's
// reflective fallback.
//
// The names follow Beam's: DoFn3x1 is a ProcessElement with three
// parameters and one result.
package reg
