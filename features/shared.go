package features

import (
	"fmt"
	"slices"
)

// DefaultMaxAccountsPerPhone is how many accounts of one app may share a phone
// number before the number is treated as a placeholder or test number. Real
// families share a phone on a handful of accounts; test numbers reach
// hundreds.
const DefaultMaxAccountsPerPhone = 5

// CheckShared returns an error wrapping ErrShared when accounts, the number
// of accounts of one app on one phone number, is over max. A max below 1
// means DefaultMaxAccountsPerPhone.
func CheckShared(accounts, max int) error {
	if max < 1 {
		max = DefaultMaxAccountsPerPhone
	}
	if accounts > max {
		return fmt.Errorf("%w: %d accounts, at most %d allowed", ErrShared, accounts, max)
	}
	return nil
}

// SharedPhones returns, sorted, the numbers of accountsPerPhone (E.164 to
// the number of accounts of one app holding it) that are on more than max
// accounts.
func SharedPhones(accountsPerPhone map[string]int, max int) []string {
	var shared []string
	for phone, n := range accountsPerPhone {
		if CheckShared(n, max) != nil {
			shared = append(shared, phone)
		}
	}
	slices.Sort(shared)
	return shared
}
