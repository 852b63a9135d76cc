// Package fileio is sosie's file I/O, local or on an object store
// (gs://, through Beam's filesystem registry): open, read, write whole
// (staged, then renamed into place), rename, remove, list and glob, each
// remote call under a deadline (RemoteTimeout, RemoteTransferTimeout) so a
// store that does not answer fails the run, named, instead of hanging it.
//
// It also publishes a job's outputs at once (Publication): files are
// written to a staging place, then moved in place under a manifest that
// lists exactly the run's files and a success marker, with a journal so a
// run killed in the middle leaves the previous complete output as it was
// (Recover finishes or undoes it).
//
// The pipelines' readers and writers, pipelines/bqio and the jobs all go
// through it; it knows nothing of Beam's pipeline model.
package fileio
