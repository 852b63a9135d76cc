package pipelines

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sosie-dev/sosie/features"
)

// The element types the stages hand each other and the jobs read back,
// and their coders. A type that crosses the runner needs a coder Beam can
// use, and these carry time.Time, which Beam's schema coder cannot encode.
// The records that cross in bulk — accounts, events, activity, profiles,
// persons — cross in features' compact wire form; the few rest (reports,
// dead letters, models, prospects) as JSON.

// DeadLetter is an input row, or a group of rows, that did not make it
// through a stage, and why. It never carries a phone number, a hash of one
// or a person key: the source, line and record id are enough to find the
// row.
type DeadLetter struct {
	Stage  string          `json:"stage"`            // the composite that rejected it, e.g. "read", "featurize"
	Source string          `json:"source"`           // the file, or the app
	File   string          `json:"file,omitempty"`   // where Source is an app: the file (or table stream) the account was read from, where known
	Line   int             `json:"line,omitempty"`   // 1-based line in Source, where known
	Record string          `json:"record,omitempty"` // the record's id (an app user id), where known
	Reason features.Reason `json:"reason"`
	Detail string          `json:"detail,omitempty"` // the error, which names the field and never the value of a phone
	Rows   int             `json:"rows"`             // input rows this letter stands for (events of one account, accounts of one number)
}

// Identity ties a phone hash (keyed: features.Keyer.HashKey) to a person
// key, and says which convention the hash is in.
type Identity struct {
	Key        string                  `json:"key"`
	Convention features.HashConvention `json:"convention"`
}

// SeedRow is one row of a seed list as read, before it is matched: a
// phone (plain or hashed) with its country and customer value, or the
// reason the row could not be read. Sources other than files (a
// BigQuery table) make these for MatchSeedRows.
type SeedRow struct {
	List    string          `json:"list"`
	Source  string          `json:"source"` // the file or table, for dead letters
	Line    int             `json:"line"`   // 1-based row in Source
	Phone   string          `json:"phone,omitempty"`
	Country string          `json:"country,omitempty"`
	Value   float64         `json:"value"`
	Reason  features.Reason `json:"reason,omitempty"` // set when the row could not be read
	Detail  string          `json:"detail,omitempty"`
	Ignored []string        `json:"ignored,omitempty"` // optional columns whose cell could not be read and was left out
}

// MatchedSeed is a seed list's customer found among the persons.
type MatchedSeed struct {
	List  string  `json:"list"`
	Key   string  `json:"key"`   // person key
	Value float64 `json:"value"` // customer value; 1 where the list has none
}

// MatchReport says what became of a seed list's rows: rows = matched +
// duplicates + unmatched + rejected.
type MatchReport struct {
	List     string                  `json:"list"`
	Rows     int                     `json:"rows"`
	Rejected map[features.Reason]int `json:"rejected"`
	// Duplicates are rows of a customer already found in the list:
	// Repeated of them name the same phone or hash as an earlier row
	// (known from the list alone, before matching); the others reached
	// the same person in another form (a phone and its hash).
	Duplicates   int            `json:"duplicates"`
	Repeated     int            `json:"repeated"`
	Unmatched    int            `json:"unmatched"`
	Matched      int            `json:"matched"` // distinct persons
	ByConvention map[string]int `json:"matched_by_convention"`
	ByApp        map[string]int `json:"matched_by_app"`
	MatchRate    float64        `json:"match_rate"` // matched / (rows − rejected − duplicates)
	// Valid are the rows not rejected (rows − rejected), Distinct those of
	// them that do not repeat an earlier row (valid − repeated): the match
	// funnel is rows → valid → distinct → matched.
	Valid    int `json:"valid"`
	Distinct int `json:"distinct"`
	// HashedRows are the rows whose phone is a SHA-256 hash (read, not
	// repeated), HashedMatched those of them that matched a person.
	HashedRows    int `json:"hashed_rows"`
	HashedMatched int `json:"hashed_matched"`
	// Ignored counts the rows whose optional cell (country, value) could
	// not be read and was left out, per column.
	Ignored map[string]int `json:"ignored,omitempty"`
	// ListDigest is a digest of the list's distinct usable rows (their
	// identities keyed under the pepper, XORed): equal for lists that name
	// the same phones, whatever else they hold, and unpredictable to
	// whoever lacks the pepper. It keys the noise of the counts
	// advertisers see.
	ListDigest uint64 `json:"list_digest"`
}

// TrainedModel is one seed list's model: a model.Artifact as JSON.
type TrainedModel struct {
	List     string          `json:"list"`
	Artifact json.RawMessage `json:"artifact"`
}

// Prospect is one person on a seed list's prospect list.
type Prospect struct {
	RunID      string  `json:"run_id"`
	Advertiser string  `json:"advertiser_id"`
	List       string  `json:"seed_list_id"`
	Key        string  `json:"person_key"`
	Score      float64 `json:"score"` // the model's own scale: ranks within a list, not across kinds
	// Similarity is the score calibrated to [0, 1], the same meaning for
	// every model kind (model.Calibration).
	Similarity float64 `json:"similarity"`
	Percentile int     `json:"percentile"` // 99: in the top 1 % of the eligible population
	Tier       int     `json:"tier"`       // 1: top 0–1 %, 2: 1–2 %, …
	ModelKind  string  `json:"model_kind"`
	// Country is the person's country: the audience it is ranked in when
	// its list has target countries.
	Country  string    `json:"country,omitempty"`
	ScoredAt time.Time `json:"scored_at"`
	AsOf     string    `json:"as_of"` // the run's as-of date (YYYY-MM-DD): two runs of one day compare on it
}

// AudienceSize is the size of a seed list's prospect list and whether it
// was delivered.
type AudienceSize struct {
	List      string `json:"seed_list_id"`
	Size      int    `json:"size"`
	Minimum   int    `json:"minimum"`
	Delivered bool   `json:"delivered"` // false: under Minimum, withheld
	// Countries are, for a list with target countries, each country's
	// audience: one under Minimum is withheld even when the list is
	// delivered, as a platform targets each country's audience alone.
	Countries []CountryAudience `json:"countries,omitempty"`
}

// CountryAudience is a list's audience in one of its target countries.
type CountryAudience struct {
	Country   string `json:"country"`
	Size      int    `json:"size"`
	Delivered bool   `json:"delivered"`
}

// delivers says whether a prospect of the list goes out: the list is
// delivered, and so is its country's audience where it has countries.
func (a AudienceSize) delivers(country string) bool {
	if !a.Delivered {
		return false
	}
	for _, c := range a.Countries {
		if c.Country == country {
			return c.Delivered
		}
	}
	return true
}

func init() {
	// Each type needs coder functions of its own name: Beam registers
	// functions by name, and the instances of one generic function share
	// theirs.
	beam.RegisterCoder(reflect.TypeFor[features.Account](), encAccount, decAccount)
	beam.RegisterCoder(reflect.TypeFor[features.Event](), encEvent, decEvent)
	beam.RegisterCoder(reflect.TypeFor[features.Activity](), encActivity, decActivity)
	beam.RegisterCoder(reflect.TypeFor[features.AppProfile](), encAppProfile, decAppProfile)
	beam.RegisterCoder(reflect.TypeFor[AccountProfile](), encAccountProfile, decAccountProfile)
	beam.RegisterCoder(reflect.TypeFor[features.Person](), encPerson, decPerson)
	beam.RegisterCoder(reflect.TypeFor[DeadLetter](), encDeadLetter, decDeadLetter)
	beam.RegisterCoder(reflect.TypeFor[seededPerson](), encSeededPerson, decSeededPerson)
	beam.RegisterCoder(reflect.TypeFor[MatchReport](), encMatchReport, decMatchReport)
	beam.RegisterCoder(reflect.TypeFor[Prospect](), encProspect, decProspect)
	beam.RegisterCoder(reflect.TypeFor[TrainedModel](), encTrainedModel, decTrainedModel)
	beam.RegisterCoder(reflect.TypeFor[InputFile](), encInputFile, decInputFile)
	// Registered as functions too, coders are called directly rather than
	// through reflection (about a tenth of a pipeline's CPU otherwise).
	register.Function1x2(encAccount)
	register.Function1x2(decAccount)
	register.Function1x2(encEvent)
	register.Function1x2(decEvent)
	register.Function1x2(encActivity)
	register.Function1x2(decActivity)
	register.Function1x2(encAppProfile)
	register.Function1x2(decAppProfile)
	register.Function1x2(encAccountProfile)
	register.Function1x2(decAccountProfile)
	register.Function1x2(encPerson)
	register.Function1x2(decPerson)
	register.Function1x2(encDeadLetter)
	register.Function1x2(decDeadLetter)
	register.Function1x2(encSeededPerson)
	register.Function1x2(decSeededPerson)
	register.Function1x2(encMatchReport)
	register.Function1x2(decMatchReport)
	register.Function1x2(encProspect)
	register.Function1x2(decProspect)
	register.Function1x2(encTrainedModel)
	register.Function1x2(decTrainedModel)
	register.Function1x2(encInputFile)
	register.Function1x2(decInputFile)
}

func decJSON[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// whole reads one record that must fill b.
func whole[T any](v T, rest []byte, err error) (T, error) {
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%w: %d bytes after the record", features.ErrWire, len(rest))
	}
	return v, err
}

func encAccount(v features.Account) ([]byte, error)   { return features.AppendAccount(nil, v), nil }
func decAccount(b []byte) (features.Account, error)   { return whole(features.ReadAccount(b)) }
func encEvent(v features.Event) ([]byte, error)       { return features.AppendEvent(nil, v), nil }
func decEvent(b []byte) (features.Event, error)       { return whole(features.ReadEvent(b)) }
func encActivity(v features.Activity) ([]byte, error) { return features.AppendActivity(nil, v), nil }
func decActivity(b []byte) (features.Activity, error) { return whole(features.ReadActivity(b)) }
func encAppProfile(v features.AppProfile) ([]byte, error) {
	return features.AppendAppProfile(nil, v), nil
}
func decAppProfile(b []byte) (features.AppProfile, error) { return whole(features.ReadAppProfile(b)) }

// encAccountProfile is the profile's wire form, then the user id and the
// source (length-prefixed) and the line (a varint).
func encAccountProfile(v AccountProfile) ([]byte, error) {
	b := features.AppendAppProfile(nil, v.Profile)
	b = appendString(appendString(b, v.UserID), v.Source)
	return binary.AppendUvarint(b, uint64(v.Line)), nil
}

func decAccountProfile(b []byte) (AccountProfile, error) {
	p, rest, err := features.ReadAppProfile(b)
	out := AccountProfile{Profile: p}
	if err != nil {
		return out, err
	}
	bad := fmt.Errorf("%w: an account profile's account", features.ErrWire)
	var ok bool
	for _, s := range []*string{&out.UserID, &out.Source} {
		if *s, rest, ok = readString(rest); !ok {
			return out, bad
		}
	}
	line, k := binary.Uvarint(rest)
	if k <= 0 || k != len(rest) {
		return out, bad
	}
	out.Line = int(line)
	return out, nil
}

// appendString appends s, length-prefixed, to b.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// readString reads a string appendString wrote from the start of b.
func readString(b []byte) (string, []byte, bool) {
	l, k := binary.Uvarint(b)
	if k <= 0 || l > uint64(len(b)-k) {
		return "", b, false
	}
	return string(b[k : k+int(l)]), b[k+int(l):], true
}

func encPerson(v features.Person) ([]byte, error) { return features.AppendPerson(nil, v), nil }
func decPerson(b []byte) (features.Person, error) { return whole(features.ReadPerson(b)) }
func encDeadLetter(v DeadLetter) ([]byte, error)  { return json.Marshal(v) }
func decDeadLetter(b []byte) (DeadLetter, error)  { return decJSON[DeadLetter](b) }

// appendKeyedAccount appends a keyed account's wire form to b: its key,
// then the account (an account join's record, blocks.go).
func appendKeyedAccount(b []byte, v keyedAccount) []byte {
	return features.AppendAccount(features.AppendKey(b, v.Key), v.Account)
}

func decKeyedAccount(b []byte) (keyedAccount, error) {
	key, rest, err := features.ReadKey(b)
	if err != nil {
		return keyedAccount{}, fmt.Errorf("%w: a keyed account without its key", features.ErrWire)
	}
	a, err := whole(features.ReadAccount(rest))
	return keyedAccount{Key: key, Account: a}, err
}
func encMatchReport(v MatchReport) ([]byte, error)   { return json.Marshal(v) }
func decMatchReport(b []byte) (MatchReport, error)   { return decJSON[MatchReport](b) }
func encProspect(v Prospect) ([]byte, error)         { return json.Marshal(v) }
func decProspect(b []byte) (Prospect, error)         { return decJSON[Prospect](b) }
func encTrainedModel(v TrainedModel) ([]byte, error) { return json.Marshal(v) }
func decTrainedModel(b []byte) (TrainedModel, error) { return decJSON[TrainedModel](b) }
func encInputFile(v InputFile) ([]byte, error)       { return json.Marshal(v) }
func decInputFile(b []byte) (InputFile, error)       { return decJSON[InputFile](b) }

// encSeededPerson is the person's wire form, then the seed lists: their
// count, and each list's id (length-prefixed) and value (float64 bits).
func encSeededPerson(v seededPerson) ([]byte, error) {
	b := features.AppendPerson(nil, v.Person)
	b = binary.AppendUvarint(b, uint64(len(v.Seeds)))
	for _, s := range v.Seeds {
		b = binary.LittleEndian.AppendUint64(appendString(b, s.List), math.Float64bits(s.Value))
	}
	return b, nil
}

func decSeededPerson(b []byte) (seededPerson, error) {
	p, rest, err := features.ReadPerson(b)
	out := seededPerson{Person: p}
	if err != nil {
		return out, err
	}
	bad := fmt.Errorf("%w: a person's seed lists", features.ErrWire)
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)) {
		return out, bad
	}
	rest = rest[k:]
	for range n {
		list, after, ok := readString(rest)
		if !ok || len(after) < 8 {
			return out, bad
		}
		out.Seeds = append(out.Seeds, seedOf{List: list, Value: math.Float64frombits(binary.LittleEndian.Uint64(after))})
		rest = after[8:]
	}
	if len(rest) > 0 {
		return out, bad
	}
	return out, nil
}
