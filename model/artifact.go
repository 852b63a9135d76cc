package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ArtifactVersion is the version of the artifact format Load reads.
const ArtifactVersion = 3 // 2: every model carries its Calibration; 3: a model may be shaped

// Errors of Load.
var (
	ErrArtifactVersion = errors.New("model: unsupported artifact version")
	ErrSchemaMismatch  = errors.New("model: artifact trained on another feature schema")
	ErrBadParameters   = errors.New("model: artifact parameters are not usable")
)

// Artifact is a saved model: what it is, which features it reads, its
// parameters and how it was trained.
type Artifact struct {
	Version       int       `json:"artifact_version"`
	Kind          Kind      `json:"kind"`
	SchemaVersion string    `json:"schema_version"`
	Features      []string  `json:"features"` // in column order
	Model         *Model    `json:"model"`
	Report        *Report   `json:"report,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	RunID         string    `json:"run_id,omitempty"`
	ConfigHash    string    `json:"config_hash,omitempty"`
}

// NewArtifact wraps a fitted model with its schema.
func NewArtifact(m *Model, rep *Report, schemaVersion string, features []string, runID string, created time.Time) (*Artifact, error) {
	if len(features) != m.Len() {
		return nil, fmt.Errorf("%w: %d feature names for a model of %d features", ErrShape, len(features), m.Len())
	}
	a := &Artifact{
		Version: ArtifactVersion, Kind: m.Kind, SchemaVersion: schemaVersion,
		Features: features, Model: m, Report: rep, CreatedAt: created.UTC(), RunID: runID,
	}
	return a, a.check()
}

// Write writes the artifact as indented JSON.
func (a *Artifact) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}

// Load reads an artifact and checks it against the caller's schema: the
// artifact version, the schema version (when schemaVersion is not empty)
// and the ordered feature names must match, and every parameter must be a
// finite number of the right shape.
func Load(r io.Reader, schemaVersion string, features []string) (*Artifact, error) {
	var a Artifact
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("model: reading artifact: %w", err)
	}
	// Version 2 differs only in having no shaped models: it reads as 3.
	if a.Version != ArtifactVersion && a.Version != 2 {
		return nil, fmt.Errorf("%w: %d, this build reads 2 and %d", ErrArtifactVersion, a.Version, ArtifactVersion)
	}
	if schemaVersion != "" && a.SchemaVersion != schemaVersion {
		return nil, fmt.Errorf("%w: artifact schema %q, features now %q; retrain the model", ErrSchemaMismatch, a.SchemaVersion, schemaVersion)
	}
	if len(a.Features) != len(features) {
		return nil, fmt.Errorf("%w: artifact has %d features, the schema %d; retrain the model", ErrSchemaMismatch, len(a.Features), len(features))
	}
	for i := range features {
		if a.Features[i] != features[i] {
			return nil, fmt.Errorf("%w: feature %d is %q in the artifact, %q in the schema; retrain the model", ErrSchemaMismatch, i, a.Features[i], features[i])
		}
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	return &a, nil
}

func (a *Artifact) check() error {
	m := a.Model
	if m == nil || m.Standardizer == nil {
		return fmt.Errorf("%w: no model or no standardizer", ErrBadParameters)
	}
	if m.Kind != a.Kind {
		return fmt.Errorf("%w: artifact kind %q, model kind %q", ErrBadParameters, a.Kind, m.Kind)
	}
	if m.Kind == KindStack && m.Shaping != nil {
		return fmt.Errorf("%w: a stack is not shaped, nor are its parts", ErrBadParameters)
	}
	n, err := checkInput(m, len(a.Features))
	if err != nil {
		return err
	}
	if m.Calibration == nil {
		return fmt.Errorf("%w: no calibration", ErrBadParameters)
	}
	if err := m.Calibration.check(); err != nil {
		return err
	}
	return checkParams(m, n)
}

// checkInput checks how a model reads n raw features — its shaping, if
// any, and its standardizer (not nil) — and returns the number of columns
// its kind reads.
func checkInput(m *Model, n int) (int, error) {
	if m.Shaping != nil {
		if err := m.Shaping.check(n); err != nil {
			return 0, err
		}
		n = m.Shaping.width(n)
	}
	for _, v := range []struct {
		what string
		v    []float64
	}{{"standardizer mean", m.Standardizer.Mean}, {"standardizer scale", m.Standardizer.Scale}} {
		if len(v.v) != n {
			return 0, fmt.Errorf("%w: %s has %d values for %d features", ErrBadParameters, v.what, len(v.v), n)
		}
		if err := finite(v.what, v.v); err != nil {
			return 0, err
		}
	}
	for j, s := range m.Standardizer.Scale {
		if s <= 0 {
			return 0, fmt.Errorf("%w: standardizer scale of feature %d is %v", ErrBadParameters, j, s)
		}
	}
	return n, nil
}

// checkParams checks a model's parameters of its kind, for n features;
// a stack's parts each as a model of theirs.
func checkParams(m *Model, n int) error {
	bad := func(what string, v []float64) error {
		if len(v) != n {
			return fmt.Errorf("%w: %s has %d values for %d features", ErrBadParameters, what, len(v), n)
		}
		return finite(what, v)
	}
	if m.Kind == KindStack {
		if len(m.Parts) == 0 {
			return fmt.Errorf("%w: stack without parts", ErrBadParameters)
		}
		for i, p := range m.Parts {
			if p.Model == nil || p.Model.Kind == KindStack {
				return fmt.Errorf("%w: stack part %d is not a model of one kind", ErrBadParameters, i)
			}
			if err := finite(fmt.Sprintf("stack part %d", i), []float64{p.Weight, p.Mean, p.SD}); err != nil {
				return err
			}
			if p.Weight <= 0 || p.SD <= 0 {
				return fmt.Errorf("%w: stack part %d: weight %v, sd %v", ErrBadParameters, i, p.Weight, p.SD)
			}
			if p.Model.Shaping != nil {
				return fmt.Errorf("%w: stack part %d is shaped; a stack blends models on its own standardized features", ErrBadParameters, i)
			}
			if err := checkParams(p.Model, n); err != nil {
				return fmt.Errorf("stack part %d (%s): %w", i, p.Model.Kind, err)
			}
		}
		return nil
	}
	needLinear := m.Kind == KindLogistic || m.Kind == KindFisher || m.Kind == KindMeanDiff || m.Kind == KindEnsemble
	needCentroid := m.Kind == KindCentroid || m.Kind == KindContrast || m.Kind == KindMultiCentroid || m.Kind == KindEnsemble
	if m.Kind == KindBoosted {
		return checkBoosted(m.Boosted, n)
	}
	if !needLinear && !needCentroid {
		return fmt.Errorf("%w: unknown kind %q", ErrBadParameters, m.Kind)
	}
	if needLinear {
		if m.Logistic == nil {
			return fmt.Errorf("%w: %s model without weights", ErrBadParameters, m.Kind)
		}
		if err := bad("weights", m.Logistic.Weights); err != nil {
			return err
		}
		if err := finite("bias", []float64{m.Logistic.Bias}); err != nil {
			return err
		}
	}
	if needCentroid {
		c := m.Centroid
		if c == nil || len(c.Centroids) == 0 || len(c.Sizes) != len(c.Centroids) {
			return fmt.Errorf("%w: %s model without centroids", ErrBadParameters, m.Kind)
		}
		for j, cen := range c.Centroids {
			if err := bad(fmt.Sprintf("centroid %d", j), cen); err != nil {
				return err
			}
		}
		if len(c.Whitener) != 0 {
			if len(c.Whitener) != n*n {
				return fmt.Errorf("%w: whitener of %d values for %d features", ErrBadParameters, len(c.Whitener), n)
			}
			if err := finite("whitener", c.Whitener); err != nil {
				return err
			}
		}
		if c.Mode == ContrastMode {
			if err := bad("population centroid", c.Population); err != nil {
				return err
			}
		} else if c.Mode != CosineMode {
			return fmt.Errorf("%w: centroid mode %q", ErrBadParameters, c.Mode)
		}
	}
	if m.Kind == KindEnsemble {
		if len(m.Blend) != 4 || m.Blend[1] <= 0 || m.Blend[3] <= 0 {
			return fmt.Errorf("%w: ensemble blend %v", ErrBadParameters, m.Blend)
		}
		if err := finite("blend", m.Blend); err != nil {
			return err
		}
	}
	return nil
}

func finite(what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s[%d] is %v", ErrBadParameters, what, i, x)
		}
	}
	return nil
}

// checkBoosted checks that every tree is well formed: splits on existing
// features at finite thresholds, children after their parent (so no
// cycle), finite leaf values.
func checkBoosted(b *Boosted, features int) error {
	if b == nil {
		return fmt.Errorf("%w: boosted model without trees", ErrBadParameters)
	}
	if err := finite("base", []float64{b.Base}); err != nil {
		return err
	}
	for t, tree := range b.Trees {
		if len(tree.Nodes) == 0 {
			return fmt.Errorf("%w: tree %d is empty", ErrBadParameters, t)
		}
		for i, n := range tree.Nodes {
			if n.Left < 0 {
				if err := finite(fmt.Sprintf("tree %d leaf %d", t, i), []float64{n.Value}); err != nil {
					return err
				}
				continue
			}
			if n.Feature < 0 || n.Feature >= features || n.Left <= i || n.Right <= i || n.Left >= len(tree.Nodes) || n.Right >= len(tree.Nodes) {
				return fmt.Errorf("%w: tree %d node %d is malformed", ErrBadParameters, t, i)
			}
			if err := finite(fmt.Sprintf("tree %d threshold %d", t, i), []float64{n.Threshold}); err != nil {
				return err
			}
		}
	}
	return nil
}
