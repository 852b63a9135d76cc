// Package configs is sosie's run configuration: a typed Config read from
// YAML (strictly: an unknown or misspelt key is an error that names it),
// its defaults, and Validate, which names every wrong field at once.
//
// Secrets are not configuration: the identity pepper is read from the
// environment variable the config names (PepperEnv), never from a file.
package configs
