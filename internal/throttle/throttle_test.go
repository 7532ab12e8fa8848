package throttle

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

var limits = Limits{Pair: 3, Address: 10, Identity: 5, Window: 15 * time.Minute, Capacity: 1000}

func TestPairAddressIdentity(t *testing.T) {
	g := New(limits)
	now := time.Unix(1_700_000_000, 0).Truncate(limits.Window)
	for i := 0; i < limits.Pair; i++ {
		if w := g.Check("ada", "10.0.0.1", now); w != 0 {
			t.Fatalf("pair refused after %d failures", i)
		}
		g.Fail("ada", "10.0.0.1", now)
	}
	if w := g.Check("ada", "10.0.0.1", now); w != limits.Window {
		t.Fatalf("pair after %d failures: wait %v, want the rest of the window", limits.Pair, w)
	}
	if g.Check("ada", "10.0.0.2", now) != 0 || g.Check("bob", "10.0.0.1", now) != 0 {
		t.Fatal("another address, or another identity from the attacker's address, is refused too")
	}
	// Spread over addresses, one failure each: past Identity failures only clean addresses may try.
	for i := 3; i < limits.Identity+1; i++ {
		g.Fail("ada", fmt.Sprintf("10.0.1.%d", i), now)
	}
	if g.Check("ada", "10.0.1.4", now) == 0 {
		t.Fatal("an address that failed for an identity under attack may still try")
	}
	if g.Check("ada", "192.168.7.7", now) != 0 {
		t.Fatal("the owner's clean address is locked out")
	}
	// One address, many identities.
	for i := 0; i < limits.Address; i++ {
		g.Fail(fmt.Sprintf("user%d", i), "10.9.9.9", now)
	}
	if g.Check("nobody-yet", "10.9.9.9", now) == 0 {
		t.Fatal("a flooding address may still try other identities")
	}
	later := now.Add(limits.Window)
	if g.Check("ada", "10.0.0.1", later) != 0 || g.Check("x", "10.9.9.9", later) != 0 {
		t.Fatal("still refused in the next window")
	}
	if w := g.Check("ada", "10.0.0.1", now.Add(limits.Window-time.Second)); w != time.Second {
		t.Fatalf("wait near the window's end = %v", w)
	}
}

func TestRefund(t *testing.T) {
	g := New(limits)
	now := time.Unix(1_700_000_000, 0)
	g.Fail("ada", "10.0.0.1", now)
	g.Fail("ada", "10.0.0.1", now)
	g.Fail("ada", "10.0.0.1", now) // the charge of an attempt that then succeeds
	g.Refund("ada", "10.0.0.1", now)
	if c := g.pairs.count(pairKey("ada", "10.0.0.1"), 0); c != 0 {
		t.Fatalf("pair count after a success = %d", c)
	}
	w, _ := g.window(now)
	if a, i := g.addrs.count("10.0.0.1", w), g.ids.count("ada", w); a != 2 || i != 2 {
		t.Fatalf("after a refund: address %d, identity %d; want the 2 real failures", a, i)
	}
}

func TestCapacity(t *testing.T) {
	g := New(Limits{Pair: 3, Address: 10, Identity: 5, Window: time.Minute, Capacity: 100})
	now := time.Unix(1_700_000_000, 0)
	for i := 0; i < 10_000; i++ {
		g.Fail(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
	}
	for name, tb := range map[string]*table{"pairs": &g.pairs, "addrs": &g.addrs, "ids": &g.ids} {
		n := 0
		tb.m.Range(func(_, _ any) bool { n++; return true })
		if n > 100 || tb.size.Load() != int64(n) {
			t.Errorf("%s: %d entries (size %d), capacity 100", name, n, tb.size.Load())
		}
	}
	// The newest failure is kept.
	w, _ := g.window(now)
	if g.ids.count("user9999@example.com", w) != 1 {
		t.Error("the newest failure was evicted")
	}
	long := string(make([]byte, 10_000))
	g.Fail(long, "10.0.0.1", now)
	if g.ids.count(long, w) != 1 {
		t.Error("a long identity is not counted")
	}
}

func TestAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5555":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:1":       "[::ffff:192.0.2.7]",
		"@":                          "@",
	} {
		if got := Addr(&http.Request{RemoteAddr: remote}); got != want {
			t.Errorf("Addr(%q) = %q, want %q", remote, got, want)
		}
	}
}

func FuzzAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.7:1", "[2001:db8::1]:2", "[::ffff:1.2.3.4]:3", "", "[", "[]:", "::::", "[0.0.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		a := Addr(&http.Request{RemoteAddr: remote})
		if len(a) > len(remote)+len("/64") || a != Addr(&http.Request{RemoteAddr: remote}) {
			t.Fatalf("Addr(%q) = %q", remote, a)
		}
	})
}

// BenchmarkCheckClean is the cost a successful request pays: an identity and an address without failures.
func BenchmarkCheckClean(b *testing.B) {
	g := New(limits)
	now := time.Now()
	g.Fail("someone-else", "10.0.0.1", now)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if g.Check("client-id", "127.0.0.1", now) != 0 {
				b.Fatal("refused")
			}
		}
	})
}
