package configs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// seedStoreFixture makes a seed store with two advertisers' lists and a
// list outside it, and returns the store and the three files.
func seedStoreFixture(t *testing.T) (store, acme, rival, outside string) {
	t.Helper()
	dir := t.TempDir()
	store = filepath.Join(dir, "store")
	acme = filepath.Join(store, "acme", "customers", SeedListFile)
	rival = filepath.Join(store, "rival", "customers", SeedListFile)
	outside = filepath.Join(dir, "mine.csv")
	for _, f := range []string{acme, rival, outside} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("phone\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return store, acme, rival, outside
}

func TestInSeedStore(t *testing.T) {
	store, acme, rival, outside := seedStoreFixture(t)
	link := filepath.Join(store, "acme", "link.csv")
	if err := os.Symlink(rival, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		advertiser string // the run's
		list       SeedList
		stored     bool
		refused    bool
	}{
		{"own namespace", "", SeedList{Advertiser: "acme", File: acme}, true, false},
		{"own namespace, advertiser's run", "acme", SeedList{Advertiser: "acme", File: acme}, true, false},
		{"another's namespace", "", SeedList{Advertiser: "acme", File: rival}, true, true},
		{"a link into another's namespace", "", SeedList{Advertiser: "acme", File: link}, true, true},
		{"outside the store", "", SeedList{Advertiser: "acme", File: outside}, false, false},
		{"outside the store, advertiser's run", "acme", SeedList{Advertiser: "acme", File: outside}, false, true},
		{"remote, own", "", SeedList{Advertiser: "acme", File: "gs://b/store/acme/l/seeds.csv"}, true, false},
		{"remote, another's", "", SeedList{Advertiser: "acme", File: "gs://b/store/rival/l/seeds.csv"}, true, true},
		{"remote, a prefix of the store's name", "", SeedList{Advertiser: "acme", File: "gs://b/store2/acme/l/seeds.csv"}, false, false},
	} {
		cfg := &Config{SeedStore: store, Advertiser: c.advertiser}
		if !filepath.IsAbs(c.list.File) {
			cfg.SeedStore = "gs://b/store"
		}
		stored, err := cfg.InSeedStore(c.list)
		if refused := errors.Is(err, ErrNamespace); refused != c.refused || (err != nil && !refused) {
			t.Errorf("%s: error %v, want refused: %v", c.name, err, c.refused)
		}
		if stored != c.stored {
			t.Errorf("%s: in the store %v, want %v", c.name, stored, c.stored)
		}
	}
}

func TestKeepAdvertiserLists(t *testing.T) {
	lists := []SeedList{{ID: "a", Advertiser: "acme"}, {ID: "b", Advertiser: "rival"}, {ID: "c", Advertiser: "acme"}}
	cfg := &Config{Advertiser: "acme", SeedLists: slices.Clone(lists)}
	if err := cfg.KeepAdvertiserLists(); err != nil || len(cfg.SeedLists) != 2 || cfg.SeedLists[1].ID != "c" {
		t.Errorf("acme's run keeps %+v (%v), want lists a and c", cfg.SeedLists, err)
	}
	cfg = &Config{SeedLists: slices.Clone(lists)}
	if err := cfg.KeepAdvertiserLists(); err != nil || len(cfg.SeedLists) != 3 {
		t.Errorf("an operator's run keeps %+v (%v), want every list", cfg.SeedLists, err)
	}
	cfg = &Config{Advertiser: "other", SeedLists: slices.Clone(lists)}
	if err := cfg.KeepAdvertiserLists(); err == nil {
		t.Error("an advertiser with no list: no error")
	}
	if err := (&Config{}).KeepAdvertiserLists(); err == nil {
		t.Error("no seed list: no error")
	}
	cfg = &Config{Advertiser: "acme", SeedLists: []SeedList{{ID: "t", Advertiser: "acme", Table: "d.t"}}}
	if err := cfg.KeepAdvertiserLists(); !errors.Is(err, ErrNamespace) {
		t.Errorf("an advertiser's list from a table: %v, want ErrNamespace", err)
	}
}

func TestSeedListsToDelete(t *testing.T) {
	store, acme, rival, outside := seedStoreFixture(t)
	cfg := &Config{SeedStore: store, SeedLists: []SeedList{
		{ID: "a", Advertiser: "acme", File: acme},
		{ID: "r", Advertiser: "acme", File: rival}, // refused: never deleted
		{ID: "o", Advertiser: "acme", File: outside},
		{ID: "t", Advertiser: "acme", Table: "d.t"},
	}}
	if got := cfg.SeedListsToDelete(); !slices.Equal(got, []string{acme}) {
		t.Errorf("deletes %v, want only %s", got, acme)
	}
	cfg.Privacy.KeepSeedLists = true
	if got := cfg.SeedListsToDelete(); got != nil {
		t.Errorf("keep_seed_lists: deletes %v", got)
	}
}
