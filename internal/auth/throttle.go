package auth

import (
	"sync"
	"time"
)

// Sign-in throttling: after MaxFailures wrong passwords for one email within FailureWindow, that
// email is refused (429) until the window ends, without spending an argon2id verification. Unknown
// emails count the same way, so the answer tells nothing about which accounts exist.
const (
	MaxFailures   = 10
	FailureWindow = 15 * time.Minute
	maxTracked    = 100_000
)

type failures struct {
	count int
	until time.Time // end of the window that began with the first failure
}

type throttle struct {
	mu sync.Mutex
	by map[string]*failures
}

func newThrottle() *throttle { return &throttle{by: map[string]*failures{}} }

// blocked reports how long email must wait, or 0.
func (t *throttle) blocked(email string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.by[email]
	if f == nil || f.count < MaxFailures || !now.Before(f.until) {
		return 0
	}
	return f.until.Sub(now)
}

// fail records a failed sign-in.
func (t *throttle) fail(email string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.by[email]
	if f == nil || !now.Before(f.until) {
		if len(t.by) >= maxTracked {
			t.prune(now)
		}
		f = &failures{until: now.Add(FailureWindow)}
		t.by[email] = f
	}
	f.count++
}

// succeed forgets the failures of email.
func (t *throttle) succeed(email string) {
	t.mu.Lock()
	delete(t.by, email)
	t.mu.Unlock()
}

func (t *throttle) prune(now time.Time) {
	for k, f := range t.by {
		if !now.Before(f.until) {
			delete(t.by, k)
		}
	}
}
