package auth

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"scopekeeper/ent"
	"scopekeeper/internal/password"
	"scopekeeper/internal/throttle"
)

// SignInLimits throttle wrong passwords, at sign-in and at changePassword alike, per account
// (its email; unknown emails count the same, so answers tell nothing about which exist) and
// per client address, within 15-minute windows:
//   - 5 failures of one email from one address refuse that pair;
//   - 50 failures from one address, any email, refuse the address;
//   - past 20 failures of one email from anywhere, only addresses that have not failed for it
//     may still try, so the owner signing in from their usual place is not locked out.
var SignInLimits = throttle.Limits{Pair: 5, Address: 50, Identity: 20, Window: 15 * time.Minute, Capacity: 50_000}

// TooManyAttempts refuses a password check that the throttle does not allow now.
type TooManyAttempts struct{ Wait time.Duration }

func (e *TooManyAttempts) Error() string {
	return "Too many wrong passwords for this account from this address; try again in " + minutes(e.Wait) + "."
}

// RetryAfter is the Retry-After value, in whole seconds rounded up.
func (e *TooManyAttempts) RetryAfter() int { return int((e.Wait + time.Second - 1) / time.Second) }

func minutes(d time.Duration) string {
	if m := int((d + time.Minute - 1) / time.Minute); m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "a minute"
}

// ErrWrongPassword is a password that does not match.
var ErrWrongPassword = errors.New("wrong password")

// verify checks pw against the hash of the account email (hash returns nil when there is none)
// under the throttle, which refuses before anything is looked up. The failure is counted before
// verifying, so concurrent guesses are counted at once, and taken back on success.
func (s *Service) verify(email, addr, pw string, lookup func() (*string, error)) error {
	now := time.Now()
	if wait := s.guard.Check(email, addr, now); wait > 0 {
		return &TooManyAttempts{Wait: wait}
	}
	hash, err := lookup()
	if err != nil {
		return err
	}
	s.guard.Fail(email, addr, now)
	if hash == nil {
		// Unknown email: spend the time a verification takes, so both failures look alike.
		password.VerifyDummy(pw)
		return ErrWrongPassword
	}
	if ok, _ := password.Verify(pw, *hash); !ok {
		return ErrWrongPassword
	}
	s.guard.Refund(email, addr, now)
	return nil
}

type attemptKey struct{}

// attempt is what Middleware leaves in the context for CheckCurrentPassword.
type attempt struct {
	s    *Service
	addr string
}

// CheckCurrentPassword verifies the current password of u, the signed-in user, before it is
// changed: nil, ErrWrongPassword or *TooManyAttempts, throttled like sign-in. It works only in a
// request that went through Middleware (it fails closed elsewhere).
func CheckCurrentPassword(ctx context.Context, u *ent.User, pw string) error {
	a, ok := ctx.Value(attemptKey{}).(attempt)
	if !ok {
		return errors.New("auth: CheckCurrentPassword outside auth.Middleware")
	}
	return a.s.verify(strings.ToLower(u.Email), a.addr, pw, func() (*string, error) { return &u.PasswordHash, nil })
}
