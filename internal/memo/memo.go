// Package memo answers a read that the hooks of one bulk change repeat for every object (an
// import creates a hundred thousand scopes, and each scope's hooks read its organisation and its
// API) once per change instead.
//
// Only a context made by New remembers anything; everywhere else Load simply reads. What is
// remembered is read as the caller, inside the change's transaction, and Forget drops it all
// when the change itself alters something remembered (hooks on those types call it).
package memo

import (
	"context"
	"sync"
)

type ctxKey struct{}

type memo struct {
	mu     sync.Mutex
	values map[any]any
}

// New returns a context whose reads through Load are remembered until Forget.
func New(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, &memo{values: map[any]any{}})
}

// Load returns what load returned for key earlier in ctx's change, or calls it. A failed load is
// not remembered. key must be comparable and name both what is read and which object.
func Load[T any](ctx context.Context, key any, load func() (T, error)) (T, error) {
	m, _ := ctx.Value(ctxKey{}).(*memo)
	if m == nil {
		return load()
	}
	m.mu.Lock()
	v, ok := m.values[key]
	m.mu.Unlock()
	if ok {
		return v.(T), nil
	}
	t, err := load()
	if err == nil {
		m.mu.Lock()
		m.values[key] = t
		m.mu.Unlock()
	}
	return t, err
}

// Forget drops everything ctx's change remembered.
func Forget(ctx context.Context) {
	if m, _ := ctx.Value(ctxKey{}).(*memo); m != nil {
		m.mu.Lock()
		clear(m.values)
		m.mu.Unlock()
	}
}
