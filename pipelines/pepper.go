package pipelines

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sosie-dev/sosie/features"
	"github.com/sosie-dev/sosie/pipelines/fileio"
)

// Pepper says where the identity pepper (the HMAC key of person keys) is:
// a file, such as a mounted secret (File wins when set), or an
// environment variable. Only these names travel in the pipeline graph;
// every worker reads the pepper itself in Setup, and it is never logged
// or written.
type Pepper struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
}

// ErrNoPepper is wrapped by Pepper.Check's error when there is no pepper
// where the Pepper points.
var ErrNoPepper = errors.New("the identity pepper is not set")

// Check makes sure the pepper is where p says, without saying what it is.
func (p Pepper) Check() error {
	_, err := p.read()
	return err
}

func (p Pepper) read() ([]byte, error) {
	if p.File != "" {
		b, err := fileio.ReadFile(context.Background(), p.File)
		if err != nil {
			return nil, fmt.Errorf("%w: pepper file: %w", ErrNoPepper, err)
		}
		// A secret written with echo ends in a newline that is not part of it.
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, fmt.Errorf("%w: pepper file %s is empty", ErrNoPepper, p.File)
		}
		if err := features.CheckPepper(b); err != nil {
			return nil, fmt.Errorf("pepper file %s: %w", p.File, err)
		}
		return b, nil
	}
	v := os.Getenv(p.Env)
	if p.Env == "" || v == "" {
		return nil, fmt.Errorf("%w: put it in the environment variable %q or a file named by pepper_file", ErrNoPepper, p.Env)
	}
	if err := features.CheckPepper([]byte(v)); err != nil {
		return nil, fmt.Errorf("environment variable %s: %w", p.Env, err)
	}
	return []byte(v), nil
}

// Fingerprint is the pepper's fingerprint (features.Keyer.Fingerprint),
// which names it in the files the jobs hand each other without revealing
// it.
func (p Pepper) Fingerprint() (string, error) {
	k, err := p.keyer()
	if err != nil {
		return "", err
	}
	return k.Fingerprint(), nil
}

// keyer makes the person keyer from the pepper.
func (p Pepper) keyer() (*features.Keyer, error) {
	b, err := p.read()
	if err != nil {
		return nil, fmt.Errorf("pipelines: %w", err)
	}
	return features.NewKeyer(b)
}
