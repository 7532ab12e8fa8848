package auth

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	th := newThrottle()
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < MaxFailures; i++ {
		if th.blocked("a@x", now) != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		th.fail("a@x", now)
	}
	if th.blocked("a@x", now) == 0 {
		t.Fatalf("not blocked after %d failures", MaxFailures)
	}
	if th.blocked("b@x", now) != 0 {
		t.Fatal("another email is blocked too")
	}
	if th.blocked("a@x", now.Add(FailureWindow)) != 0 {
		t.Fatal("still blocked once the window has passed")
	}
	th.succeed("a@x")
	if th.blocked("a@x", now) != 0 {
		t.Fatal("a success does not clear the failures")
	}
}
