package pipelines

import (
	"encoding/json"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sosie-dev/sosie/features"
)

// DeadLetter is an input row, or a group of rows, that did not make it
// through a stage, and why. It never carries a phone number, a hash of one
// or a person key: the source, line and record id are enough to find the
// row.
type DeadLetter struct {
	Stage  string          `json:"stage"`            // the composite that rejected it, e.g. "read", "featurize"
	Source string          `json:"source"`           // the file, or the app
	Line   int             `json:"line,omitempty"`   // 1-based line in Source, where known
	Record string          `json:"record,omitempty"` // the record's id (an app user id), where known
	Reason features.Reason `json:"reason"`
	Detail string          `json:"detail,omitempty"` // the error, which names the field and never the value of a phone
	Rows   int             `json:"rows"`             // input rows this letter stands for (events of one account, accounts of one number)
}

func init() {
	// Records carry time.Time, which Beam's schema coder cannot encode:
	// they cross the runner as JSON. Each type needs coder functions of its
	// own name: Beam registers functions by name, and the instances of one
	// generic function share theirs.
	beam.RegisterCoder(reflect.TypeFor[features.Account](), encAccount, decAccount)
	beam.RegisterCoder(reflect.TypeFor[features.Event](), encEvent, decEvent)
	beam.RegisterCoder(reflect.TypeFor[features.Activity](), encActivity, decActivity)
	beam.RegisterCoder(reflect.TypeFor[features.AppProfile](), encAppProfile, decAppProfile)
	beam.RegisterCoder(reflect.TypeFor[features.Person](), encPerson, decPerson)
	beam.RegisterCoder(reflect.TypeFor[DeadLetter](), encDeadLetter, decDeadLetter)
	beam.RegisterCoder(reflect.TypeFor[keyedAccount](), encKeyedAccount, decKeyedAccount)
	beam.RegisterCoder(reflect.TypeFor[MatchReport](), encMatchReport, decMatchReport)
	beam.RegisterCoder(reflect.TypeFor[Prospect](), encProspect, decProspect)
	beam.RegisterCoder(reflect.TypeFor[TrainedModel](), encTrainedModel, decTrainedModel)
	beam.RegisterCoder(reflect.TypeFor[InputFile](), encInputFile, decInputFile)
}

func decJSON[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

func encAccount(v features.Account) ([]byte, error)       { return json.Marshal(v) }
func decAccount(b []byte) (features.Account, error)       { return decJSON[features.Account](b) }
func encEvent(v features.Event) ([]byte, error)           { return json.Marshal(v) }
func decEvent(b []byte) (features.Event, error)           { return decJSON[features.Event](b) }
func encActivity(v features.Activity) ([]byte, error)     { return json.Marshal(v) }
func decActivity(b []byte) (features.Activity, error)     { return decJSON[features.Activity](b) }
func encAppProfile(v features.AppProfile) ([]byte, error) { return json.Marshal(v) }
func decAppProfile(b []byte) (features.AppProfile, error) { return decJSON[features.AppProfile](b) }
func encPerson(v features.Person) ([]byte, error)         { return json.Marshal(v) }
func decPerson(b []byte) (features.Person, error)         { return decJSON[features.Person](b) }
func encDeadLetter(v DeadLetter) ([]byte, error)          { return json.Marshal(v) }
func decDeadLetter(b []byte) (DeadLetter, error)          { return decJSON[DeadLetter](b) }
func encKeyedAccount(v keyedAccount) ([]byte, error)      { return json.Marshal(v) }
func decKeyedAccount(b []byte) (keyedAccount, error)      { return decJSON[keyedAccount](b) }
func encMatchReport(v MatchReport) ([]byte, error)        { return json.Marshal(v) }
func decMatchReport(b []byte) (MatchReport, error)        { return decJSON[MatchReport](b) }
func encProspect(v Prospect) ([]byte, error)              { return json.Marshal(v) }
func decProspect(b []byte) (Prospect, error)              { return decJSON[Prospect](b) }
func encTrainedModel(v TrainedModel) ([]byte, error)      { return json.Marshal(v) }
func decTrainedModel(b []byte) (TrainedModel, error)      { return decJSON[TrainedModel](b) }
func encInputFile(v InputFile) ([]byte, error)            { return json.Marshal(v) }
func decInputFile(b []byte) (InputFile, error)            { return decJSON[InputFile](b) }
