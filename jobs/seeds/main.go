// Command seeds checks an advertiser's seed list before any pipeline runs
// and stores it, as SHA-256 hashes only, in the advertiser's namespace of
// the seed store, ready for matching:
//
//	go run ./jobs/seeds --advertiser acme --list customers --in customers.csv [--country FR]
//
// It prints the match-readiness report (rows, valid, rejected by reason
// with the first row numbers, duplicates, plain or hashed) and writes it
// as JSON and text beside the stored list. It exits 2 when the list
// cannot be used (under min_seeds valid phones, no phone column). See
// jobs/internal/job.RunSeeds.
package main

import "github.com/sosie-dev/sosie/jobs/internal/job"

func main() { job.SeedsMain(job.RegisterSeedsFlags()) }
