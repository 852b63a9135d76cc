// Package job is what sosie's job binaries share: the flags every job
// takes, loading and overriding the config, the identity pepper, the
// synthetic world of a demo run, building the featurize stages from a
// config, running a pipeline with progress lines, and the run report each
// job writes. It is the only place besides the commands that logs
// (zerolog); the pipelines and the plain-Go cores do not.
package job
