// Package usage records, for the access review (contract section 8), when each client or API key
// was last issued each scope in a token and last allowed a request by it. The hot paths (token
// issuance, the check, forward auth) only note times in memory; Take hands what changed to a writer
// (Write) that stores it in batches, so no request writes to the database for it.
//
// Times are kept in whole seconds: once a pair has been noted in the current second, noting it
// again is one map lookup under a read lock and one atomic load.
package usage

import (
	"sync"
	"sync/atomic"
	"time"
)

// Kind says whose use a record is.
type Kind uint8

// The kinds of credential a scope is recorded for.
const (
	Client Kind = iota + 1 // an OAuth client (its tokens)
	APIKey
)

// Key names one (credential, scope) pair of one organisation.
type Key struct {
	Org   int
	Kind  Kind
	Cred  int // the client's or key's row ID
	Scope int
}

// Record is what Take hands over: the latest times of a pair (zero when never noted).
type Record struct {
	Key
	Granted, Used time.Time
}

// entry holds a pair's times as Unix seconds; dirty marks a change not yet taken.
type entry struct {
	granted, used atomic.Int64
	dirty         atomic.Bool
}

const shardCount = 64

type shard struct {
	mu sync.RWMutex
	m  map[Key]*entry
	_  [32]byte // keeps neighbouring shards' locks off one cache line
}

// Recorder holds the times in memory. Its zero value is not usable: call New.
type Recorder struct {
	shards  [shardCount]shard
	pending atomic.Int64 // entries marked dirty
	full    chan struct{}
	limit   int64
}

// New returns a Recorder that signals Full once limit pairs changed since the last Take.
func New(limit int) *Recorder {
	r := &Recorder{full: make(chan struct{}, 1), limit: int64(limit)}
	for i := range r.shards {
		r.shards[i].m = map[Key]*entry{}
	}
	return r
}

// Full receives when enough pairs changed that they should be written before the next interval.
func (r *Recorder) Full() <-chan struct{} { return r.full }

// Granted notes that a token issued to client at at carried scopes (IDs below 1, the OpenID
// Connect identity scopes, are not Scope rows and are skipped).
func (r *Recorder) Granted(org, client int, scopes []int, at time.Time) {
	sec := at.Unix()
	for _, s := range scopes {
		if s > 0 {
			r.note(Key{org, Client, client, s}, sec, false)
		}
	}
}

// Used notes that the scope allowed a request of the credential at at.
func (r *Recorder) Used(org int, kind Kind, cred, scope int, at time.Time) {
	r.note(Key{org, kind, cred, scope}, at.Unix(), true)
}

func (r *Recorder) shard(k Key) *shard {
	h := uint64(k.Cred)*0x9E3779B97F4A7C15 ^ uint64(k.Scope)*0xC2B2AE3D27D4EB4F ^ uint64(k.Kind)
	return &r.shards[(h>>32)%shardCount]
}

func (r *Recorder) note(k Key, sec int64, used bool) {
	s := r.shard(k)
	s.mu.RLock()
	e := s.m[k]
	s.mu.RUnlock()
	if e == nil {
		s.mu.Lock()
		if e = s.m[k]; e == nil {
			e = &entry{}
			s.m[k] = e
		}
		s.mu.Unlock()
	}
	f := &e.granted
	if used {
		f = &e.used
	}
	for {
		old := f.Load()
		if old >= sec {
			return
		}
		if f.CompareAndSwap(old, sec) {
			break
		}
	}
	r.markDirty(e)
}

// markDirty runs after the time was stored; Take clears dirty before reading the times, so a time
// stored after Take read it is taken the next time.
func (r *Recorder) markDirty(e *entry) {
	if e.dirty.Load() || e.dirty.Swap(true) {
		return
	}
	if r.pending.Add(1) == r.limit {
		select {
		case r.full <- struct{}{}:
		default:
		}
	}
}

// Take returns every pair that changed since the last Take.
func (r *Recorder) Take() []Record {
	var out []Record
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.RLock()
		for k, e := range s.m {
			if !e.dirty.Load() || !e.dirty.Swap(false) {
				continue
			}
			r.pending.Add(-1)
			out = append(out, Record{Key: k, Granted: unix(e.granted.Load()), Used: unix(e.used.Load())})
		}
		s.mu.RUnlock()
	}
	return out
}

// Retry marks records that could not be written as changed again, for the next Take.
func (r *Recorder) Retry(recs []Record) {
	for _, rec := range recs {
		s := r.shard(rec.Key)
		s.mu.RLock()
		e := s.m[rec.Key]
		s.mu.RUnlock()
		if e != nil {
			r.markDirty(e)
		}
	}
}

// Forget drops pairs whose scope, client or key no longer exists.
func (r *Recorder) Forget(keys []Key) {
	for _, k := range keys {
		s := r.shard(k)
		s.mu.Lock()
		if e := s.m[k]; e != nil {
			if e.dirty.Swap(false) {
				r.pending.Add(-1)
			}
			delete(s.m, k)
		}
		s.mu.Unlock()
	}
}

func unix(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
