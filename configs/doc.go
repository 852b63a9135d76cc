// Package configs is sosie's run configuration: a typed Config read from
// YAML (strictly: an unknown or misspelt key is an error that names it),
// its defaults, and Validate, which names every wrong field at once.
//
// A key the file sets keeps its value, zero included (Config.Given): an
// explicit 0 is honoured where it means something (privacy.floor: every
// count shown; run_seed: a seed like any other) and refused, naming the
// key, where it does not (window_days, min_seeds); only an absent key
// takes its default.
//
// The seed store's rules are here too (KeepAdvertiserLists, InSeedStore,
// SeedListsToDelete): an advertiser's lists live in its namespace of the
// store, no run reads another advertiser's, and a stored list is deleted
// once matched.
//
// Secrets are not configuration: the identity pepper is read from the
// environment variable or the secret file the config names (PepperEnv,
// PepperFile), never from the config itself.
package configs
