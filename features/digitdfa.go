package features

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
)

// digitDFA answers, for a fixed set of regular expressions over ASCII digits,
// which of them match a digit string, in one pass over the string.
//
// libphonenumber validates a number by trying up to a dozen regular
// expressions per region with Go's backtracking matcher; that is where most of
// its ~30 µs per number goes. The same languages compiled once into a DFA are
// decided in a few nanoseconds per digit. The DFA is built from the patterns'
// own syntax trees (regexp/syntax), so it accepts exactly the strings Go's
// regexp would: a differential test against the library keeps it honest.
type digitDFA struct {
	next [][10]int32 // next[s][d] is the state after digit d, or -1 (no pattern can match any more)
	full []uint32    // full[s] has bit i set when pattern i matches the digits read so far
}

// maxDFAStates bounds the subset construction; a region whose patterns need
// more states is left to the library.
const maxDFAStates = 1 << 16

var errDFATooLarge = errors.New("features: digit DFA too large")

// compileDigitDFA builds the DFA for at most 32 patterns. An empty pattern
// matches only the empty string, as libphonenumber's "^(?:)$" does.
func compileDigitDFA(patterns []string) (*digitDFA, error) {
	if len(patterns) > 32 {
		return nil, fmt.Errorf("features: %d patterns, at most 32", len(patterns))
	}
	progs := make([]*syntax.Prog, len(patterns))
	for i, p := range patterns {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("features: pattern %q: %w", p, err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			return nil, fmt.Errorf("features: pattern %q: %w", p, err)
		}
		for _, in := range prog.Inst {
			if in.Op == syntax.InstEmptyWidth {
				return nil, fmt.Errorf("features: pattern %q has an empty-width assertion", p)
			}
		}
		progs[i] = prog
	}

	// A thread is pattern<<16 | pc; a DFA state is the sorted set of threads
	// waiting on a rune, plus the patterns that have matched.
	type nfaState struct {
		threads []uint32
		match   uint32
	}
	closure := func(seed []uint32) nfaState {
		var st nfaState
		seen := map[uint32]bool{}
		stack := slices.Clone(seed)
		for len(stack) > 0 {
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[t] {
				continue
			}
			seen[t] = true
			pat, pc := t>>16, t&0xffff
			in := progs[pat].Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, pat<<16|in.Out, pat<<16|in.Arg)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, pat<<16|in.Out)
			case syntax.InstMatch:
				st.match |= 1 << pat
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				st.threads = append(st.threads, t)
			}
		}
		slices.Sort(st.threads)
		return st
	}
	key := func(st nfaState) string {
		b := make([]byte, 0, 4*len(st.threads)+4)
		b = append(b, byte(st.match>>24), byte(st.match>>16), byte(st.match>>8), byte(st.match))
		for _, t := range st.threads {
			b = append(b, byte(t>>24), byte(t>>16), byte(t>>8), byte(t))
		}
		return string(b)
	}

	d := &digitDFA{}
	ids := map[string]int32{}
	var queue []nfaState
	add := func(st nfaState) (int32, error) {
		k := key(st)
		if id, ok := ids[k]; ok {
			return id, nil
		}
		if len(d.next) >= maxDFAStates {
			return 0, errDFATooLarge
		}
		id := int32(len(d.next))
		ids[k] = id
		d.next = append(d.next, [10]int32{})
		d.full = append(d.full, st.match)
		queue = append(queue, st)
		return id, nil
	}
	var start []uint32
	for i, p := range progs {
		start = append(start, uint32(i)<<16|uint32(p.Start))
	}
	if _, err := add(closure(start)); err != nil {
		return nil, err
	}
	for id := 0; id < len(queue); id++ {
		st := queue[id]
		for digit := range 10 {
			r := rune('0' + digit)
			var seed []uint32
			for _, t := range st.threads {
				pat, pc := t>>16, t&0xffff
				in := &progs[pat].Inst[pc]
				if in.MatchRune(r) {
					seed = append(seed, pat<<16|in.Out)
				}
			}
			if len(seed) == 0 {
				d.next[id][digit] = -1
				continue
			}
			nid, err := add(closure(seed))
			if err != nil {
				return nil, err
			}
			d.next[id][digit] = nid
		}
	}
	return d, nil
}

// run reads the digit string s and returns the patterns matching all of s
// (full) and the patterns matching some prefix of s, the empty one included
// (prefix). ok is false when s holds a byte that is not an ASCII digit.
func (d *digitDFA) run(s string) (full, prefix uint32, ok bool) {
	state := int32(0)
	prefix = d.full[0]
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, 0, false
		}
		state = d.next[state][c]
		if state < 0 {
			for i++; i < len(s); i++ {
				if s[i]-'0' > 9 {
					return 0, 0, false
				}
			}
			return 0, prefix, true
		}
		prefix |= d.full[state]
	}
	return d.full[state], prefix, true
}
