// Package job is what sosie's job binaries share: the flags every job
// takes, loading and overriding the config, the identity pepper, the
// synthetic world of a demo run, building the featurize stages from a
// config, running a pipeline with progress lines and signals, the checks a
// run must pass before it is published (every input gave data, hand-off
// files of this pepper), publishing its files and BigQuery tables, and the
// run report and advertiser reports each job writes. It is the only place
// besides the commands that logs (zerolog); the pipelines and the plain-Go
// cores do not.
package job
