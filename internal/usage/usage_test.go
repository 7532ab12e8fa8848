package usage

import (
	"sync"
	"testing"
	"time"
)

func byKey(recs []Record) map[Key]Record {
	out := map[Key]Record{}
	for _, r := range recs {
		out[r.Key] = r
	}
	return out
}

func TestRecorderKeepsLatestAndTakesChangesOnce(t *testing.T) {
	r := New(1000)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r.Granted(1, 7, []int{10, 11, 0, -2}, t0) // 0 and -2: identity scopes, not recorded
	r.Used(1, Client, 7, 10, t0.Add(time.Minute))
	r.Used(1, Client, 7, 10, t0) // older: ignored
	r.Used(1, APIKey, 7, 10, t0.Add(2*time.Minute))

	got := byKey(r.Take())
	if len(got) != 3 {
		t.Fatalf("took %d records, want 3: %v", len(got), got)
	}
	c10 := got[Key{1, Client, 7, 10}]
	if !c10.Granted.Equal(t0) || !c10.Used.Equal(t0.Add(time.Minute)) {
		t.Fatalf("client 7, scope 10: %+v", c10)
	}
	if c11 := got[Key{1, Client, 7, 11}]; !c11.Used.IsZero() || !c11.Granted.Equal(t0) {
		t.Fatalf("client 7, scope 11: %+v", c11)
	}
	if k := got[Key{1, APIKey, 7, 10}]; !k.Used.Equal(t0.Add(2*time.Minute)) || !k.Granted.IsZero() {
		t.Fatalf("key 7, scope 10: %+v", k)
	}
	if again := r.Take(); len(again) != 0 {
		t.Fatalf("a second Take returned %v, want nothing new", again)
	}

	// Only a later time changes a pair; it is then taken with both its times.
	r.Used(1, Client, 7, 10, t0.Add(30*time.Second))
	if again := r.Take(); len(again) != 0 {
		t.Fatalf("an earlier use was taken: %v", again)
	}
	r.Used(1, Client, 7, 10, t0.Add(time.Hour))
	got = byKey(r.Take())
	if c := got[Key{1, Client, 7, 10}]; len(got) != 1 || !c.Used.Equal(t0.Add(time.Hour)) || !c.Granted.Equal(t0) {
		t.Fatalf("after a later use: %v", got)
	}
}

func TestRecorderRetryAndForget(t *testing.T) {
	r := New(1000)
	at := time.Unix(1_800_000_000, 0)
	r.Used(2, APIKey, 3, 4, at)
	r.Used(2, APIKey, 3, 5, at)
	recs := r.Take()
	r.Retry(recs) // the write failed: both are taken again
	if got := r.Take(); len(got) != 2 {
		t.Fatalf("after Retry took %v", got)
	}
	r.Forget([]Key{{2, APIKey, 3, 4}})
	r.Used(2, APIKey, 3, 4, at) // noted anew after Forget
	r.Used(2, APIKey, 3, 5, at) // not later: nothing new
	if got := r.Take(); len(got) != 1 || got[0].Scope != 4 {
		t.Fatalf("after Forget took %v", got)
	}
}

func TestRecorderSignalsFull(t *testing.T) {
	r := New(3)
	at := time.Unix(1_800_000_000, 0)
	for s := 1; s <= 2; s++ {
		r.Used(1, Client, 1, s, at)
	}
	select {
	case <-r.Full():
		t.Fatal("signalled Full before the limit")
	default:
	}
	r.Used(1, Client, 1, 3, at)
	select {
	case <-r.Full():
	default:
		t.Fatal("no Full signal at the limit")
	}
	r.Take()
	for s := 4; s <= 6; s++ { // the count starts over after Take
		r.Used(1, Client, 1, s, at)
	}
	select {
	case <-r.Full():
	default:
		t.Fatal("no Full signal at the limit after a Take")
	}
}

// Concurrent notes and takes lose no latest time: what was taken, merged, is what was noted.
func TestRecorderConcurrentTakeLosesNothing(t *testing.T) {
	r := New(1 << 20)
	const writers, notes = 4, 2000
	base := int64(1_800_000_000)
	merged := map[Key]int64{}
	var mu sync.Mutex
	merge := func(recs []Record) {
		mu.Lock()
		defer mu.Unlock()
		for _, rec := range recs {
			if u := rec.Used.Unix(); u > merged[rec.Key] {
				merged[rec.Key] = u
			}
		}
	}
	var wg sync.WaitGroup
	stop, taken := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(taken)
		for {
			select {
			case <-stop:
				return
			default:
				merge(r.Take())
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range notes {
				r.Used(1, Client, w, i%7+1, time.Unix(base+int64(i), 0))
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-taken // its last Take is merged before the final one
	merge(r.Take())
	for w := range writers {
		for s := 1; s <= 7; s++ {
			last := int64(0)
			for i := range notes {
				if i%7+1 == s {
					last = base + int64(i)
				}
			}
			if got := merged[Key{1, Client, w, s}]; got != last {
				t.Fatalf("client %d scope %d: took %d, want %d", w, s, got, last)
			}
		}
	}
}

// The hot paths note a pair they noted before without allocating.
func TestRecorderNotesWithoutAllocating(t *testing.T) {
	r := New(1000)
	at := time.Unix(1_800_000_000, 0)
	r.Used(1, Client, 1, 1, at)
	r.Granted(1, 1, []int{1, 2}, at)
	i := int64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		r.Used(1, Client, 1, 1, at.Add(time.Duration(i)*time.Second))
		r.Granted(1, 1, []int{1, 2}, at.Add(time.Duration(i)*time.Second))
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per note, want 0", allocs)
	}
}

func BenchmarkRecorderUsed(b *testing.B) {
	r := New(1 << 20)
	at := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			r.Used(1, Client, i%64, i%16+1, at)
		}
	})
}
