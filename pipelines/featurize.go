package pipelines

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// FeaturizeOptions configures Featurize for one app.
type FeaturizeOptions struct {
	App           string                  `json:"app"`
	DefaultRegion string                  `json:"default_region"` // for accounts without a country
	MobileOnly    bool                    `json:"mobile_only"`
	MaxPerPhone   int                     `json:"max_per_phone"` // accounts of the app on one number (JoinByPhone's rule); 0: features.DefaultMaxAccountsPerPhone
	Window        features.ActivityWindow `json:"window"`
	// Buckets is the number of buckets of the account join's and the
	// join by phone's shuffles (ShuffleBuckets); 0: DefaultBuckets, or
	// the graphs size it from the accounts files.
	Buckets int `json:"buckets"`
	// Pepper says where the identity pepper is. The pepper itself never
	// enters the pipeline graph, which runners store and show.
	Pepper Pepper `json:"pepper"`
}

// buckets is o.Buckets, or DefaultBuckets.
func (o FeaturizeOptions) buckets() int {
	if o.Buckets > 0 {
		return o.Buckets
	}
	return DefaultBuckets
}

// keyedAccount is an account that passed phone normalization: its phone is
// gone, its person key is there.
type keyedAccount struct {
	Key     string           `json:"key"`
	Account features.Account `json:"account"`
}

// AppCounter is the name of the counter of one app's share of a
// featurize counter: featurize_accounts_in_facebook and the like. The jobs
// check each app's share: every configured app must give data.
func AppCounter(name, app string) string { return name + "_" + app }

// The featurize counters per app, besides the totals below:
// featurize_accounts_in_<app>, featurize_profiles_<app>,
// featurize_events_in_<app> (events read) and
// featurize_events_in_window_<app> (of those, events in the activity
// window), and the distribution featurize_event_time_<app> of the events'
// times in Unix seconds (its min and max say where the events are).
const (
	CounterAccountsIn     = "featurize_accounts_in"
	CounterProfiles       = "featurize_profiles"
	CounterEventsIn       = "featurize_events_in"
	CounterEventsInWindow = "featurize_events_in_window"
	DistributionEventTime = "featurize_event_time"
)

// The featurize counters balance: featurize_accounts_in =
// featurize_accounts_rejected + featurize_accounts_profiled, and the events
// read = featurize_events_profiled + featurize_events_rejected.
var (
	accountsIn        = beam.NewCounter("sosie", "featurize_accounts_in")
	eventsProfiled    = beam.NewCounter("sosie", "featurize_events_profiled")
	accountsRejected  = beam.NewCounter("sosie", "featurize_accounts_rejected")
	accountsProfiled  = beam.NewCounter("sosie", "featurize_accounts_profiled")
	eventsUnattached  = beam.NewCounter("sosie", "featurize_events_rejected")
	profilesOut       = beam.NewCounter("sosie", "featurize_profiles")
	sharedPhoneGroups = beam.NewCounter("sosie", "featurize_shared_numbers")
)

// Featurize turns one app's PCollection<features.Account> and its
// events' activity (PCollection<KV<string, features.Activity>> keyed by
// user id, from ReadActivity or Activity: partial aggregates, merged here)
// into PCollection<AccountProfile>, one per
// account (user id) with a usable phone, for JoinByPhone; the identities
// in blocks (IdentityBlocks: the SHA-256 of each accepted phone in both
// conventions, keyed by the hash: what hashed seed lists are matched
// against) and PCollection<DeadLetter>. The account join groups buckets
// of user ids (FeaturizeOptions.Buckets), its records in blocks.
//
// Each account's phone is normalized once (features.NormalizePhone, with
// the account's country or the default region) and replaced by the person
// key, and joined with its activity. Accounts with a rejected phone, events of such accounts and of
// accounts the table lacks, and repeated user ids become dead letters with
// their reason. Shared numbers (FeaturizeOptions.MaxPerPhone) are rejected
// by JoinByPhone, which groups by number anyway.
func Featurize(s beam.Scope, opt FeaturizeOptions, accounts, activity beam.PCollection) (profiles, identities, dead beam.PCollection) {
	s = s.Scope("pipelines.Featurize." + opt.App)
	byUser, identities, dead1 := beam.ParDo3(s, &normalizeAccountFn{Options: opt}, accounts)
	blocks := beam.Flatten(s, byUser, inBuckets(s, opt.buckets(), beam.ParDo(s, activityRecord, activity)))
	profiles, dead2 := beam.ParDo2(s, &buildProfilesFn{Options: opt}, beam.GroupByKey(s, blocks))
	return profiles, identities, beam.Flatten(s, dead1, dead2)
}

// normalizeAccountFn normalizes each account's phone into a person key.
type normalizeAccountFn struct {
	Options FeaturizeOptions `json:"options"`

	keyer                *features.Keyer
	normalizer           features.PhoneNormalizer
	appIn                beam.Counter
	accounts, identities blockWriter
	rec                  []byte
}

func (f *normalizeAccountFn) Setup() error {
	f.accounts.buckets, f.identities.buckets = f.Options.buckets(), 1
	f.appIn = beam.NewCounter("sosie", AppCounter(CounterAccountsIn, f.Options.App))
	k, err := f.Options.Pepper.keyer()
	if err != nil {
		return err
	}
	f.keyer = k
	f.normalizer = features.PhoneNormalizer{MobileOnly: f.Options.MobileOnly}
	return nil
}

// ProcessElement normalizes a's phone and writes its records straight
// into blocks (not one element each, which costs more than the rest):
// the account, or its phone's rejection, by user id for the account join,
// and its two identities (IdentityBlocks).
func (f *normalizeAccountFn) ProcessElement(ctx context.Context, a features.Account, accounts, identities func(int, []byte), dead func(DeadLetter)) {
	f.normalize(ctx, a, func(user string, ka keyedAccount) {
		f.rec = appendAccountRecord(f.rec[:0], ka)
		f.accounts.add(user, f.rec, accounts)
	}, func(user, reason string) {
		f.rec = append(append(f.rec[:0], recRejected), reason...)
		f.accounts.add(user, f.rec, accounts)
	}, func(hash string, id Identity) {
		f.rec = appendIdentityRecord(f.rec[:0], id)
		f.identities.add(wireKey(hash), f.rec, identities)
	}, dead)
}

// StartBundle drops what a failed bundle left (Beam wants the emitters
// here too).
func (f *normalizeAccountFn) StartBundle(_, _ func(int, []byte), _ func(DeadLetter)) {
	f.accounts.reset()
	f.identities.reset()
}

// FinishBundle emits the blocks left.
func (f *normalizeAccountFn) FinishBundle(accounts, identities func(int, []byte), _ func(DeadLetter)) {
	f.accounts.flush(accounts)
	f.identities.flush(identities)
}

// normalize normalizes a's phone into its person key: the account keyed
// (emit) and its identities, or its rejection and a dead letter.
func (f *normalizeAccountFn) normalize(ctx context.Context, a features.Account, emit func(string, keyedAccount), rejected func(string, string), identity func(string, Identity), dead func(DeadLetter)) {
	accountsIn.Inc(ctx, 1)
	f.appIn.Inc(ctx, 1)
	region := a.Country
	if region == "" {
		region = f.Options.DefaultRegion
	}
	e164, err := f.normalizer.Normalize(a.Phone, region)
	if err != nil {
		accountsRejected.Inc(ctx, 1)
		reason := features.ReasonOf(err)
		rejected(a.UserID, string(reason))
		dead(DeadLetter{Stage: "featurize", Source: f.Options.App, File: a.Source, Line: a.Line, Record: features.RecordID(a.UserID), Reason: reason, Detail: where(err.Error(), a), Rows: 1})
		return
	}
	a.Phone = "" // raw phones never leave this stage
	key := f.keyer.Key(e164)
	emit(a.UserID, keyedAccount{Key: key, Account: a})
	h := features.HashPhone(e164)
	identity(f.keyer.HashKey(h.PlusE164), Identity{Key: key, Convention: features.HashPlusE164})
	identity(f.keyer.HashKey(h.Digits), Identity{Key: key, Convention: features.HashDigits})
}

// profileBuilder joins an account with its activity.
type profileBuilder struct {
	Options FeaturizeOptions
}

// build makes the profile of user id userID of its rows (accounts; the
// newest is kept, the others are dead letters), its partial activity
// aggregates and the reasons its phone was rejected.
func (f profileBuilder) build(ctx context.Context, userID string, accounts []keyedAccount, activity []features.Activity, rejected []string, emit func(AccountProfile), dead func(DeadLetter)) {
	var act features.Activity
	for _, part := range activity {
		act = f.Options.Window.MergeAccumulators(act, part)
	}
	events := act.Seen()
	rows := make([]features.Account, len(accounts))
	for i, ka := range accounts {
		rows[i] = ka.Account
	}
	keep := features.NewestAccount(rows)
	for i, ka := range accounts {
		if i != keep {
			f.duplicate(ctx, dead, ka)
		}
	}
	if keep < 0 {
		if events > 0 {
			eventsUnattached.Inc(ctx, int64(events))
			r := features.ReasonUnknown
			if len(rejected) > 0 {
				r = features.ReasonAccountGone
			}
			dead(DeadLetter{Stage: "featurize", Source: f.Options.App, Record: features.RecordID(userID), Reason: r, Rows: events})
		}
		return
	}
	a := accounts[keep].Account
	emit(AccountProfile{Profile: features.NewAppProfile(accounts[keep].Key, a, act), UserID: a.UserID, Source: a.Source, Line: a.Line})
}

func (f profileBuilder) duplicate(ctx context.Context, dead func(DeadLetter), ka keyedAccount) {
	accountsRejected.Inc(ctx, 1)
	dead(DeadLetter{Stage: "featurize", Source: f.Options.App, File: ka.Account.Source, Line: ka.Account.Line, Record: features.RecordID(ka.Account.UserID), Reason: features.ReasonDuplicate,
		Detail: where("the user id appears more than once; the most recently updated row is kept", ka.Account), Rows: 1})
}

// where adds to a featurize dead letter's detail where its account was
// read: its stage works on accounts, not lines, and its source is the app.
func where(detail string, a features.Account) string {
	if a.Source == "" {
		return detail
	}
	return fmt.Sprintf("%s (%s, line %d)", detail, a.Source, a.Line)
}

// AccountProfile is what Featurize hands JoinByPhone: the profile of one
// account on one app, and where the account was read (for the dead
// letters of the shared-number rule, applied at the join).
type AccountProfile struct {
	Profile features.AppProfile
	UserID  string
	Source  string
	Line    int
}

// JoinByPhone joins the PCollection<AccountProfile> of every app into
// PCollection<features.Person>: one per person key, demographics resolved
// by features.MergePerson. A number held by more than maxPerPhone accounts
// of one app (0: features.DefaultMaxAccountsPerPhone) is shared — a test
// number, a shop's phone — and those accounts are rejected, with their
// events: PCollection<DeadLetter>. The rule counts accounts (distinct
// user ids: a user id's repeated rows are one account, the newest row).
//
// The join is the one shuffle by person key, so the rule needs none of
// its own: the featurize counters of accounts, events and profiles kept
// are counted here.
func JoinByPhone(s beam.Scope, maxPerPhone, buckets int, profiles ...beam.PCollection) (persons, dead beam.PCollection) {
	s = s.Scope("pipelines.JoinByPhone")
	if buckets <= 0 {
		buckets = DefaultBuckets
	}
	blocks := make([]beam.PCollection, len(profiles))
	for i, p := range profiles {
		blocks[i] = inBuckets(s, buckets, beam.ParDo(s, profileRecord, p))
	}
	return beam.ParDo2(s, &joinBucketFn{MaxPerPhone: maxPerPhone}, beam.GroupByKey(s, beam.Flatten(s, blocks...)))
}

var personsOut = beam.NewCounter("sosie", "join_persons")

// personJoiner makes one person of the profiles under one person key,
// less the accounts of a number shared on one app.
type personJoiner struct {
	MaxPerPhone int

	appProfiles map[string]beam.Counter
}

// join makes the person of key of its profiles (all is sorted in place).
func (f *personJoiner) join(ctx context.Context, key string, all []AccountProfile, emit func(features.Person), dead func(DeadLetter)) {
	// By app, then by where the account was read: dead letters and merges
	// in one order whatever the shuffle's.
	slices.SortFunc(all, func(a, b AccountProfile) int {
		return cmp.Or(cmp.Compare(a.Profile.App, b.Profile.App), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line), cmp.Compare(a.UserID, b.UserID))
	})
	kept := make([]features.AppProfile, 0, len(all))
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Profile.App == all[i].Profile.App {
			j++
		}
		app := all[i:j]
		if err := features.CheckShared(len(app), f.MaxPerPhone); err != nil {
			f.shared(ctx, dead, app, err)
		} else {
			for _, a := range app {
				f.kept(ctx, a)
				kept = append(kept, a.Profile)
			}
		}
		i = j
	}
	if len(kept) == 0 {
		return
	}
	personsOut.Inc(ctx, 1)
	emit(features.MergePerson(key, kept))
}

// kept counts an account that made it into a person.
func (f *personJoiner) kept(ctx context.Context, a AccountProfile) {
	act := a.Profile.Activity
	accountsProfiled.Inc(ctx, 1)
	eventsProfiled.Inc(ctx, int64(act.Seen()))
	profilesOut.Inc(ctx, 1)
	c, ok := f.appProfiles[a.Profile.App]
	if !ok {
		if f.appProfiles == nil {
			f.appProfiles = map[string]beam.Counter{}
		}
		c = beam.NewCounter("sosie", AppCounter(CounterProfiles, a.Profile.App))
		f.appProfiles[a.Profile.App] = c
	}
	c.Inc(ctx, 1)
}

// shared rejects the accounts of one app on a shared number, and their
// events.
func (f *personJoiner) shared(ctx context.Context, dead func(DeadLetter), app []AccountProfile, err error) {
	sharedPhoneGroups.Inc(ctx, 1)
	accountsRejected.Inc(ctx, int64(len(app)))
	for _, a := range app {
		account := features.Account{Source: a.Source, Line: a.Line}
		dead(DeadLetter{Stage: "featurize", Source: a.Profile.App, File: a.Source, Line: a.Line, Record: features.RecordID(a.UserID), Reason: features.ReasonShared, Detail: where(err.Error(), account), Rows: 1})
		if events := a.Profile.Activity.Seen(); events > 0 {
			eventsUnattached.Inc(ctx, int64(events))
			dead(DeadLetter{Stage: "featurize", Source: a.Profile.App, Record: features.RecordID(a.UserID), Reason: features.ReasonAccountGone, Rows: events})
		}
	}
}

func init() {
	reg.DoFn5x0[context.Context, features.Account, func(int, []byte), func(int, []byte), func(DeadLetter)](&normalizeAccountFn{})
	register.Emitter1[AccountProfile]()
	register.Emitter1[features.Person]()
	register.Iter1[string]()
}
