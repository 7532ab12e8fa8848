// Package throttle counts failed authentications per identity (an email, a client_id, a user) and
// per address, in memory and within a fixed number of entries, so that guessing from one place is
// refused while the rightful owner, signing in from elsewhere, still gets in:
//
//   - one identity from one address: Pair failures refuse that pair;
//   - one address, any identity: Address failures refuse the address;
//   - one identity, any address: past Identity failures only addresses that have not failed for
//     it may still try, so a spread-out attack is slowed without locking the owner out.
//
// Counts start afresh every Window, aligned to the clock, so the three counts of one failure end
// together. Reading costs two map lookups and no lock, so the successful hot path stays cheap.
package throttle

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits are a Guard's budgets.
type Limits struct {
	Pair, Address, Identity int
	Window                  time.Duration
	// Capacity bounds the keys tracked per count (pairs, addresses, identities); past it, entries of
	// ended windows go first, then arbitrary ones.
	Capacity int
}

// Guard throttles failed authentications.
type Guard struct {
	l                 Limits
	pairs, addrs, ids table
}

// New returns a Guard with limits l.
func New(l Limits) *Guard {
	return &Guard{l: l, pairs: table{cap: l.Capacity}, addrs: table{cap: l.Capacity}, ids: table{cap: l.Capacity}}
}

func (g *Guard) window(now time.Time) (index uint64, wait time.Duration) {
	w := int64(g.l.Window)
	n := now.UnixNano()
	return uint64(n / w), time.Duration(w - n%w)
}

// Check returns how long id must wait before trying again from addr, or 0 when it may try now.
func (g *Guard) Check(id, addr string, now time.Time) time.Duration {
	w, wait := g.window(now)
	if g.addrs.count(addr, w) >= g.l.Address {
		return wait
	}
	n := g.ids.count(id, w)
	if n == 0 {
		return 0 // no failures for id, so none for any of its pairs in this window
	}
	p := g.pairs.count(pairKey(id, addr), w)
	if p >= g.l.Pair || n >= g.l.Identity && p > 0 {
		return wait
	}
	return 0
}

// Fail records a failure of id from addr.
func (g *Guard) Fail(id, addr string, now time.Time) {
	w, _ := g.window(now)
	g.addrs.add(addr, w, 1)
	g.ids.add(id, w, 1)
	g.pairs.add(pairKey(id, addr), w, 1)
}

// Refund takes back a failure recorded, by Fail, before the outcome was known (so that concurrent
// guesses count at once), and forgets the pair's earlier failures: id proved itself from addr.
func (g *Guard) Refund(id, addr string, now time.Time) {
	w, _ := g.window(now)
	g.addrs.add(addr, w, -1)
	g.ids.add(id, w, -1)
	g.pairs.remove(pairKey(id, addr))
}

func pairKey(id, addr string) string { return id + "\x00" + addr }

// Addr is the address r comes from: the host of its RemoteAddr (which clientaddr sets from
// X-Forwarded-For only behind --trusted-proxies), with IPv6 addresses grouped by their /64, which one subscriber usually holds whole.
func Addr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if !strings.HasPrefix(host, "[") {
		return host
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil || !a.Is6() || a.Is4In6() {
		return host
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// maxKey is the longest key kept as it is; longer ones are kept as their digest.
const maxKey = 128

// table maps keys to counts of the current window, packed in one word: the window index above
// countBits, the count below, so that reading is one atomic load.
type table struct {
	m    sync.Map // string → *atomic.Uint64
	size atomic.Int64
	cap  int
	mu   sync.Mutex // one pruner at a time
}

const countBits = 24

func key(k string) string {
	if len(k) <= maxKey {
		return k
	}
	d := sha256.Sum256([]byte(k))
	return hex.EncodeToString(d[:])
}

func (t *table) count(k string, w uint64) int {
	if len(k) > maxKey {
		k = key(k)
	}
	v, ok := t.m.Load(k)
	if !ok {
		return 0
	}
	packed := v.(*atomic.Uint64).Load()
	if packed>>countBits != w {
		return 0
	}
	return int(packed & (1<<countBits - 1))
}

func (t *table) add(k string, w uint64, delta int) {
	k = key(k)
	v, ok := t.m.Load(k)
	if !ok {
		if delta < 0 {
			return
		}
		fresh := new(atomic.Uint64)
		fresh.Store(w << countBits) // of this window, so that a prune does not take it for stale
		var loaded bool
		v, loaded = t.m.LoadOrStore(k, fresh)
		if !loaded && t.size.Add(1) > int64(t.cap) {
			t.prune(w, k)
		}
	}
	c := v.(*atomic.Uint64)
	for {
		old := c.Load()
		n := int64(0)
		if old>>countBits == w {
			n = int64(old & (1<<countBits - 1))
		} else if delta < 0 {
			return // a refund for a window that has ended
		}
		n = min(max(n+int64(delta), 0), 1<<countBits-1)
		if c.CompareAndSwap(old, w<<countBits|uint64(n)) {
			return
		}
	}
}

func (t *table) remove(k string) {
	if _, ok := t.m.LoadAndDelete(key(k)); ok {
		t.size.Add(-1)
	}
}

// prune brings the table back under its capacity: entries of ended windows first, then arbitrary
// ones (never keep, the key being added).
func (t *table) prune(w uint64, keep string) {
	if !t.mu.TryLock() {
		return // another prune is under way
	}
	defer t.mu.Unlock()
	t.m.Range(func(k, v any) bool {
		if v.(*atomic.Uint64).Load()>>countBits != w {
			t.remove(k.(string))
		}
		return true
	})
	target := int64(t.cap) * 9 / 10
	t.m.Range(func(k, _ any) bool {
		if t.size.Load() <= target {
			return false
		}
		if k != keep {
			t.remove(k.(string))
		}
		return true
	})
}
