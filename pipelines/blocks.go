package pipelines

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/klauspost/compress/s2"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/fileio"
	"github.com/sosie-dev/sosie/pipelines/internal/reg"
)

// The two shuffles proportional to the accounts (an app's accounts with
// their activity, by user id; every app's profiles, by person key) carry
// blocks, not one element per record. A runner pays for each element: prism
// keeps each with a few hundred bytes of bookkeeping, and each key of a
// GroupByKey with its trigger state, which cost more than the records
// themselves; Dataflow pays per element and per key too. So the records
// of a bundle are gathered per bucket of keys (bucketFn), a bucket is one
// key of the GroupByKey, and its DoFn groups the records by their own key
// in memory — one bucket at a time, a bounded share of the data
// (ShuffleBuckets).

// A block is records one after another, each its key and its wire form,
// both length-prefixed, compressed with S2 (Snappy's faster successor:
// ~0.7 of the bytes, ~0.5 GB/s to compress on one core): prism holds
// blocks in memory, Dataflow's shuffle charges their bytes. Person keys
// and hash keys are keys of records in their 33-byte wire form
// (features.AppendKey), not 64 hex digits.

// maxBlockBytes is the size from which a bucket's block is emitted before
// the bundle ends; maxBundleBuffer bounds what one bundle holds across its
// buckets (every bucket is emitted when it is reached).
const (
	maxBlockBytes   = 1 << 20
	maxBundleBuffer = 64 << 20
)

// DefaultBuckets is the number of buckets of a shuffle when nothing
// sizes it (tables, whose size sosie does not ask BigQuery for).
const DefaultBuckets = 1024

// ShuffleBuckets is the number of buckets for accounts files of bytes in
// all: one per 8 MiB, from 16 to 4,096, so a bucket's records fit any
// worker's memory (a million persons: ~40 buckets of ~7 MiB of accounts)
// while there are enough for a runner to spread them over its workers.
func ShuffleBuckets(bytes int64) int {
	return int(min(max((bytes+8<<20-1)/(8<<20), 16), 4096))
}

// shuffleBuckets is o.Featurize.Buckets, or the buckets for the size of
// the apps' accounts files (DefaultBuckets when an app reads a table).
func shuffleBuckets(ctx context.Context, o GraphOptions) (int, error) {
	if o.Featurize.Buckets > 0 {
		return o.Featurize.Buckets, nil
	}
	var bytes int64
	for _, app := range o.Apps {
		if app.AccountsTable != "" {
			return DefaultBuckets, nil
		}
		files, err := ExpandFiles(app.Accounts...)
		if err != nil {
			return 0, fmt.Errorf("app %s accounts: %w", app.Name, err)
		}
		for _, f := range files {
			n, err := fileio.FileSize(ctx, f)
			if err != nil {
				return 0, fmt.Errorf("app %s accounts: %w", app.Name, err)
			}
			bytes += n
		}
	}
	return ShuffleBuckets(bytes), nil
}

// bucketOf is the bucket of key among n: FNV-1a, the same in every
// process.
func bucketOf(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// appendRecord appends a record, its key and its wire form, to a block.
func appendRecord(block []byte, key string, rec []byte) []byte {
	block = binary.AppendUvarint(appendString(block, key), uint64(len(rec)))
	return append(block, rec...)
}

// sealBlock is a block as it is emitted: compressed.
func sealBlock(block []byte) []byte { return s2.Encode(nil, block) }

// eachRecord calls fn with each record of a sealed block, in order.
// Its errors, and its callers', never quote a key: keys are user ids,
// person keys and phone hashes.
func eachRecord(sealed []byte, fn func(key string, rec []byte) error) error {
	block, err := s2.Decode(nil, sealed)
	if err != nil {
		return fmt.Errorf("%w: a block: %v", features.ErrWire, err)
	}
	for len(block) > 0 {
		key, rest, ok := readString(block)
		if !ok {
			return fmt.Errorf("%w: a block's record key", features.ErrWire)
		}
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return fmt.Errorf("%w: a block's record cut short", features.ErrWire)
		}
		if err := fn(key, rest[k:k+int(l)]); err != nil {
			return err
		}
		block = rest[k+int(l):]
	}
	return nil
}

// blockWriter gathers records into blocks per bucket of keys and emits
// a bucket's block when it is full, every block when it holds too much,
// and what is left when flushed (at the end of a bundle).
type blockWriter struct {
	buckets  int
	blocks   [][]byte
	buffered int
}

// add adds a record to its key's bucket's block.
func (w *blockWriter) add(key string, rec []byte, emit func(int, []byte)) {
	if w.blocks == nil {
		w.blocks = make([][]byte, w.buckets)
	}
	b := bucketOf(key, w.buckets)
	before := len(w.blocks[b])
	w.blocks[b] = appendRecord(w.blocks[b], key, rec)
	w.buffered += len(w.blocks[b]) - before
	switch {
	case len(w.blocks[b]) >= maxBlockBytes:
		w.buffered -= len(w.blocks[b])
		emit(b, sealBlock(w.blocks[b]))
		w.blocks[b] = w.blocks[b][:0]
	case w.buffered >= maxBundleBuffer:
		w.flush(emit)
	}
}

// flush emits every bucket's block and lets go of the buffers (a DoFn
// instance outlives its bundle, idle).
func (w *blockWriter) flush(emit func(int, []byte)) {
	for b, block := range w.blocks {
		if len(block) > 0 {
			emit(b, sealBlock(block))
		}
		w.blocks[b] = nil
	}
	w.buffered = 0
}

// reset drops whatever a failed bundle left (a runner may retry a bundle
// on the same DoFn instance): a bundle's blocks hold its records only.
func (w *blockWriter) reset() {
	clear(w.blocks)
	w.buffered = 0
}

// bucketFn gathers a bundle's records (KV<string, []byte>: key, wire
// form) into blocks per bucket of keys: KV<int, []byte>, bucket to block.
type bucketFn struct {
	Buckets int `json:"buckets"`

	w blockWriter
}

func (f *bucketFn) Setup() { f.w.buckets = f.Buckets }

// StartBundle drops what a failed bundle left (Beam wants the emitter
// here too).
func (f *bucketFn) StartBundle(_ func(int, []byte)) { f.w.reset() }

func (f *bucketFn) ProcessElement(key string, rec []byte, emit func(int, []byte)) {
	f.w.add(key, rec, emit)
}

// FinishBundle emits every bucket's block.
func (f *bucketFn) FinishBundle(emit func(int, []byte)) { f.w.flush(emit) }

// inBuckets is records (KV<string, []byte>) in blocks per bucket:
// PCollection<KV<int, []byte>>.
func inBuckets(s beam.Scope, buckets int, records beam.PCollection) beam.PCollection {
	return beam.ParDo(s, &bucketFn{Buckets: buckets}, records)
}

// The records of an app's account join, told apart by their first byte.
const (
	recAccount  = 'a' // keyedAccount
	recRejected = 'r' // the reason an account's phone was rejected
	recActivity = 'v' // features.Activity, a partial aggregate
)

// appendAccountRecord appends a keyed account's record to b.
func appendAccountRecord(b []byte, ka keyedAccount) []byte {
	return appendKeyedAccount(append(b, recAccount), ka)
}

func activityRecord(user string, a features.Activity) (string, []byte) {
	return user, features.AppendActivity([]byte{recActivity}, a)
}

func profileRecord(p AccountProfile) (string, []byte) {
	b, _ := encAccountProfile(p)
	return wireKey(p.Profile.PersonKey), b
}

// wireKey is a person or hash key in its wire form (features.AppendKey).
func wireKey(key string) string { return string(features.AppendKey(nil, key)) }

// Identities (two per account: its phone's hash in each convention) are
// the most numerous records after events; they are only ever streamed
// past a side input of the few hashes a seed list or an opt-out list
// names, so they travel in blocks of one bucket (IdentityBlocks).

// IdentityBlocks is identities (PCollection<KV<string, Identity>>, keyed
// by the phone hash's key) in blocks, as Featurize hands them on and
// MatchSeeds, OptOut and WriteIdentities take them:
// PCollection<KV<int, []byte>>.
func IdentityBlocks(s beam.Scope, identities beam.PCollection) beam.PCollection {
	return inBuckets(s.Scope("pipelines.IdentityBlocks"), 1, beam.ParDo(s, identityRecord, identities))
}

func identityRecord(hash string, id Identity) (string, []byte) {
	return wireKey(hash), appendIdentityRecord(nil, id)
}

// appendIdentityRecord appends an identity's record to b (its key is its
// hash's wire form).
func appendIdentityRecord(b []byte, id Identity) []byte {
	return appendString(features.AppendKey(b, id.Key), string(id.Convention))
}

// eachIdentity calls fn with each identity of block whose hash's wire
// form (wireKey) want accepts.
func eachIdentity(block []byte, want func(wireHash string) bool, fn func(hash string, id Identity)) error {
	return eachRecord(block, func(wireHash string, rec []byte) error {
		if !want(wireHash) {
			return nil
		}
		hash, _, err := features.ReadKey([]byte(wireHash))
		if err != nil {
			return err
		}
		key, rest, err := features.ReadKey(rec)
		if err != nil {
			return err
		}
		convention, rest, ok := readString(rest)
		if !ok || len(rest) > 0 {
			return fmt.Errorf("%w: an identity's record", features.ErrWire)
		}
		fn(hash, Identity{Key: key, Convention: features.HashConvention(convention)})
		return nil
	})
}

func anyHash(string) bool { return true }

// identityRecordsFn reads identity blocks back into IdentityRecord
// (WriteIdentities).
func identityRecordsFn(_ int, block []byte, emit func(IdentityRecord)) error {
	return eachIdentity(block, anyHash, func(hash string, id Identity) { emit(toIdentityRecord(hash, id)) })
}

// accountRecords are what one user id has in an app's account join.
type accountRecords struct {
	accounts []keyedAccount
	activity []features.Activity
	rejected []string
}

// buildProfilesFn is Featurize's account join of one bucket: each user id's
// accounts, activity and rejections gathered from the bucket's blocks and
// built into a profile (profileBuilder), in the order of the user ids.
type buildProfilesFn struct {
	Options FeaturizeOptions `json:"options"`
}

func (f *buildProfilesFn) ProcessElement(ctx context.Context, _ int, blocks func(*[]byte) bool, emit func(AccountProfile), dead func(DeadLetter)) error {
	users := map[string]*accountRecords{}
	var block []byte
	for blocks(&block) {
		err := eachRecord(block, func(user string, rec []byte) error {
			r := users[user]
			if r == nil {
				r = &accountRecords{}
				users[user] = r
			}
			if len(rec) == 0 {
				return fmt.Errorf("%w: an empty account record", features.ErrWire)
			}
			switch rec[0] {
			case recAccount:
				ka, err := decKeyedAccount(rec[1:])
				r.accounts = append(r.accounts, ka)
				return err
			case recActivity:
				a, err := decActivity(rec[1:])
				r.activity = append(r.activity, a)
				return err
			case recRejected:
				r.rejected = append(r.rejected, string(rec[1:]))
				return nil
			}
			return fmt.Errorf("%w: an account record of unknown kind %q", features.ErrWire, rec[0])
		})
		if err != nil {
			return err
		}
	}
	b := profileBuilder{Options: f.Options}
	for _, user := range slices.Sorted(maps.Keys(users)) {
		r := users[user]
		b.build(ctx, user, r.accounts, r.activity, r.rejected, emit, dead)
	}
	return nil
}

// joinBucketFn is JoinByPhone's join of one bucket: each person key's
// profiles gathered from the bucket's blocks and made a person
// (personJoiner), in the order of the keys.
type joinBucketFn struct {
	MaxPerPhone int `json:"max_per_phone"`

	joiner personJoiner
}

func (f *joinBucketFn) ProcessElement(ctx context.Context, _ int, blocks func(*[]byte) bool, emit func(features.Person), dead func(DeadLetter)) error {
	persons := map[string][]AccountProfile{} // by the key's wire form
	var block []byte
	for blocks(&block) {
		err := eachRecord(block, func(key string, rec []byte) error {
			p, err := decAccountProfile(rec)
			persons[key] = append(persons[key], p)
			return err
		})
		if err != nil {
			return err
		}
	}
	f.joiner.MaxPerPhone = f.MaxPerPhone
	for _, key := range slices.Sorted(maps.Keys(persons)) {
		all := persons[key]
		f.joiner.join(ctx, all[0].Profile.PersonKey, all, emit, dead)
	}
	return nil
}

func init() {
	reg.DoFn3x0[string, []byte, func(int, []byte)](&bucketFn{})
	register.Emitter2[int, []byte]()
	register.Iter1[[]byte]()
	register.Function2x2(activityRecord)
	register.Function1x2(profileRecord)
	register.Function2x2(identityRecord)
	register.Function3x1(identityRecordsFn)
	reg.DoFn5x1[context.Context, int, func(*[]byte) bool, func(AccountProfile), func(DeadLetter), error](&buildProfilesFn{})
	reg.DoFn5x1[context.Context, int, func(*[]byte) bool, func(features.Person), func(DeadLetter), error](&joinBucketFn{})
}
