package job

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A flagGroup is a heading of a job's --help and sosie's flags under it.
type flagGroup struct {
	title string
	names []string
}

// ownFlags are the flags sosie defines, grouped, in the order --help
// prints them; every other flag on the command line is Beam's.
var ownFlags []flagGroup

// own records the flag name under the group title.
func own(title, name string) string {
	for i := range ownFlags {
		if ownFlags[i].title == title {
			ownFlags[i].names = append(ownFlags[i].names, name)
			return name
		}
	}
	ownFlags = append(ownFlags, flagGroup{title, []string{name}})
	return name
}

func isOwn(name string) bool {
	for _, g := range ownFlags {
		if slices.Contains(g.names, name) {
			return true
		}
	}
	return false
}

// helpBeam is --help-beam: list Beam's runner flags.
var helpBeam *bool

// jobPurpose is the first line of each job's --help.
var jobPurpose = map[string]string{
	"lookalike": "runs sosie's whole flow in one Beam pipeline: featurize, join by phone, match the seed lists, train, score, write prospects and reports.",
	"featurize": "reads the apps' accounts and events and writes one profile per person (persons.jsonl, identities.jsonl).",
	"train":     "matches the seed lists against jobs/featurize's profiles and fits one model per list (models.jsonl).",
	"score":     "scores jobs/featurize's profiles with jobs/train's models and writes the prospect lists and audience sizes.",
	"seeds":     "checks an advertiser's seed list CSV (match readiness) and stores it in the seed store.",
}

// usage prints sosie's own flags, grouped, then says where Beam's are:
// --help shows what a user of sosie sets, not the runners' sixty flags.
func usage(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s %s\n", name, name, jobPurpose[name])
	for _, g := range ownFlags {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.names {
			if f := fs.Lookup(n); f != nil {
				printFlag(w, f)
			}
		}
	}
	var beam []string
	fs.VisitAll(func(f *flag.Flag) {
		if !isOwn(f.Name) {
			beam = append(beam, "--"+f.Name)
		}
	})
	if len(beam) > 0 && helpBeam != nil {
		var shown []string
		for _, n := range []string{"runner", "endpoint", "job_name", "project", "region", "temp_location", "staging_location"} {
			if fs.Lookup(n) != nil {
				shown = append(shown, "--"+n)
			}
		}
		fmt.Fprintf(w, "\nBeam's runner flags (%d, among them %s): --help-beam lists them.\n"+
			"The default runner is prism, in process; the README's \"Running on Dataflow\" shows a cluster run.\n",
			len(beam), strings.Join(shown, ", "))
	}
}

// usageBeam prints Beam's runner flags, the ones usage leaves out.
func usageBeam(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Beam's runner flags accepted by %s (its own: --help):\n\n", name)
	fs.VisitAll(func(f *flag.Flag) {
		if !isOwn(f.Name) {
			printFlag(w, f)
		}
	})
}

// printFlag prints one flag as flag.PrintDefaults does.
func printFlag(w io.Writer, f *flag.Flag) {
	arg, text := flag.UnquoteUsage(f)
	line := "  --" + f.Name
	if arg != "" {
		line += " " + arg
	}
	text = strings.ReplaceAll(text, "\n", "\n    \t")
	if def := f.DefValue; def != "" && def != "false" && def != "0" {
		text += fmt.Sprintf(" (default %q)", def)
	}
	fmt.Fprintf(w, "%s\n    \t%s\n", line, text)
}

// setUsage makes --help print usage; a job that runs a pipeline also
// gets --help-beam.
func setUsage(name string, pipeline bool) {
	if pipeline {
		helpBeam = flag.Bool(own("Help", "help-beam"), false, "list Beam's runner flags (--runner, --endpoint, Dataflow's, …) and exit")
	}
	flag.Usage = func() { usage(flag.CommandLine.Output(), name, flag.CommandLine) }
}
