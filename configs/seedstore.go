package configs

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// The seed store's rules. jobs/seeds stores an advertiser's lists, hashed,
// under its namespace of the seed store (SeedNamespace); an advertiser's
// run reads its lists from there only, and no run reads a list from
// another advertiser's namespace. A list in the store is deleted once a
// run has matched it and published (unless privacy.keep_seed_lists).

// ErrNamespace says a seed list is outside its advertiser's namespace.
var ErrNamespace = errors.New("outside the advertiser's namespace")

// KeepAdvertiserLists keeps, in an advertiser's run (Advertiser set),
// only that advertiser's seed lists, and refuses one read from a table:
// an advertiser's lists come from its namespace of the seed store. It
// fails when no list is left, or none was configured.
func (c *Config) KeepAdvertiserLists() error {
	if c.Advertiser != "" {
		c.SeedLists = slices.DeleteFunc(c.SeedLists, func(l SeedList) bool { return l.Advertiser != c.Advertiser })
		if len(c.SeedLists) == 0 {
			return fmt.Errorf("advertiser %s: no seed list of it in seed_lists", c.Advertiser)
		}
		for _, l := range c.SeedLists {
			if l.Table != "" {
				return fmt.Errorf("seed list %s: %w: an advertiser's run reads seed lists from its namespace of the seed store only (submit the list with jobs/seeds), not from table %s", l.ID, ErrNamespace, l.Table)
			}
		}
	}
	if len(c.SeedLists) == 0 {
		return fmt.Errorf("seed_lists: none configured; this job needs at least one")
	}
	return nil
}

// InSeedStore reports whether l's file is in the seed store, and refuses
// it (ErrNamespace) when it is in another advertiser's namespace, or
// outside the store in an advertiser's run. Local paths are compared
// after resolving symbolic links, so a link cannot lead into another
// namespace; object-store names (gs://) have no links and are compared
// as they are.
func (c *Config) InSeedStore(l SeedList) (bool, error) {
	if remote(l.File) || remote(c.SeedStore) {
		store := strings.TrimSuffix(c.SeedStore, "/") + "/"
		rel, inStore := strings.CutPrefix(l.File, store)
		owner, _, _ := strings.Cut(rel, "/")
		return c.checkOwner(l, inStore, owner)
	}
	file, err := filepath.EvalSymlinks(l.File)
	if err != nil {
		return false, err
	}
	if file, err = filepath.Abs(file); err != nil {
		return false, err
	}
	store, err := filepath.Abs(c.SeedStore)
	if err != nil {
		return false, err
	}
	if s, err := filepath.EvalSymlinks(store); err == nil {
		store = s
	}
	rel, err := filepath.Rel(store, file)
	inStore := err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	owner := ""
	if inStore {
		owner, _, _ = strings.Cut(rel, string(filepath.Separator))
	}
	return c.checkOwner(l, inStore, owner)
}

// checkOwner refuses a list in another advertiser's namespace, or outside
// the store in an advertiser's run.
func (c *Config) checkOwner(l SeedList, inStore bool, owner string) (bool, error) {
	switch {
	case inStore && owner != l.Advertiser:
		return true, fmt.Errorf("%w: %s is in advertiser %s's namespace of the seed store", ErrNamespace, l.File, owner)
	case c.Advertiser != "" && !inStore:
		return false, fmt.Errorf("%w: an advertiser's run reads seed lists from %s only, not %s", ErrNamespace, c.SeedNamespace(c.Advertiser), l.File)
	}
	return inStore, nil
}

// SeedListsToDelete are the files of c's seed lists that are in the seed
// store: the ones a run that matched them deletes once published
// (privacy.keep_seed_lists: false), as matching platforms delete the
// hashes once matched. Lists outside the store are the operator's own
// files and stay.
func (c *Config) SeedListsToDelete() []string {
	if c.Privacy.KeepSeedLists {
		return nil
	}
	var out []string
	for _, l := range c.SeedLists {
		if l.File == "" {
			continue
		}
		if stored, err := c.InSeedStore(l); err == nil && stored {
			out = append(out, l.File)
		}
	}
	return out
}

// remote says whether path names an object store (gs://…).
func remote(path string) bool { return strings.Contains(path, "://") }
