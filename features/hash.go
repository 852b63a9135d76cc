package features

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// HashConvention names how an advertiser hashed a phone before SHA-256.
type HashConvention string

// The two industry conventions for hashing phones.
const (
	// HashPlusE164 hashes the E.164 string with its '+' ("+33612345678"),
	// as Google's Customer Match does.
	HashPlusE164 HashConvention = "sha256_e164"
	// HashDigits hashes the digits with the country code and no '+'
	// ("33612345678"), as Meta's custom audiences do.
	HashDigits HashConvention = "sha256_digits"
)

// PhoneHashes are the SHA-256 hashes of one E.164 number in both
// conventions, as lower-case hex.
type PhoneHashes struct {
	PlusE164 string // SHA256("+33612345678")
	Digits   string // SHA256("33612345678")
}

// HashPhone hashes an E.164 number (as NormalizePhone returns it) in both
// conventions.
func HashPhone(e164 string) PhoneHashes {
	return PhoneHashes{
		PlusE164: sha256Hex(e164),
		Digits:   sha256Hex(strings.TrimPrefix(e164, "+")),
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ParseSHA256Hex reads an advertiser's hashed phone: 64 hexadecimal
// characters in any case, with surrounding white space ignored. It returns
// the hash in lower case, or an error wrapping ErrBadHash.
func ParseSHA256Hex(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*sha256.Size {
		return "", ErrBadHash
	}
	var lower [2 * sha256.Size]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", ErrBadHash
		}
		lower[i] = c
	}
	return string(lower[:]), nil
}

// LooksHashed reports whether s (trimmed) has the shape of a SHA-256 hex
// digest rather than of a phone number: exactly 64 characters, all
// hexadecimal, at least one of them a letter. A seed list's phone column is
// read as hashes when its values look hashed.
func LooksHashed(s string) bool {
	h, err := ParseSHA256Hex(s)
	return err == nil && strings.ContainsAny(h, "abcdef")
}

// ErrNoPepper is returned by NewKeyer for an empty pepper.
var ErrNoPepper = errors.New("features: empty identity pepper")

// Keyer derives person keys: HMAC-SHA256 of an E.164 number under a secret
// pepper, as lower-case hex. The key is stable for a pepper and says nothing
// about the number to whoever lacks the pepper.
//
// A Keyer reuses its HMAC state: it is not safe for concurrent use. Make one
// per goroutine (per DoFn instance).
type Keyer struct {
	mac hash.Hash
	sum []byte
}

// NewKeyer returns a Keyer for pepper, which must not be empty.
func NewKeyer(pepper []byte) (*Keyer, error) {
	if len(pepper) == 0 {
		return nil, ErrNoPepper
	}
	return &Keyer{mac: hmac.New(sha256.New, pepper), sum: make([]byte, 0, sha256.Size)}, nil
}

// Key returns the person key of an E.164 number.
func (k *Keyer) Key(e164 string) string {
	k.mac.Reset()
	k.mac.Write([]byte(e164))
	k.sum = k.mac.Sum(k.sum[:0])
	return hex.EncodeToString(k.sum)
}

// HashKey returns the keyed form of a phone's SHA-256 (lower-case hex, in
// either convention): HMAC-SHA256 under the pepper of "sha256:" and the
// hash, so it never equals a person key. Identities and hashed seed rows
// meet on it, so no file or shuffle holds a bare phone hash, which anyone
// can test phone numbers against.
func (k *Keyer) HashKey(sha256Hex string) string {
	return k.Key("sha256:" + sha256Hex)
}

// Fingerprint names the pepper without revealing it: the first 16 hex
// characters of HMAC-SHA256 under the pepper of a constant. Files the jobs
// hand each other carry it, so that a job run under another pepper (whose
// person keys would match nothing, or the wrong persons) refuses them.
func (k *Keyer) Fingerprint() string {
	return k.Key("sosie pepper fingerprint v1")[:16]
}

// MinPepperBytes is the shortest identity pepper accepted: a shorter one
// could be guessed, and with it every person key tested against phones.
const MinPepperBytes = 32

// ErrWeakPepper is a pepper that is blank or shorter than MinPepperBytes.
var ErrWeakPepper = errors.New("features: weak identity pepper")

// CheckPepper refuses a pepper that is blank or shorter than
// MinPepperBytes, saying which without saying what it is.
func CheckPepper(pepper []byte) error {
	if len(strings.TrimSpace(string(pepper))) == 0 {
		return fmt.Errorf("%w: it is blank", ErrWeakPepper)
	}
	if len(pepper) < MinPepperBytes {
		return fmt.Errorf("%w: %d bytes, want at least %d (e.g. head -c 32 /dev/urandom | base64)", ErrWeakPepper, len(pepper), MinPepperBytes)
	}
	return nil
}

// PersonKey is Keyer.Key for one number; prefer a Keyer in loops.
func PersonKey(pepper []byte, e164 string) (string, error) {
	k, err := NewKeyer(pepper)
	if err != nil {
		return "", err
	}
	return k.Key(e164), nil
}
