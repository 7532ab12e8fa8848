package memo

import (
	"context"
	"errors"
	"testing"
)

func TestLoad(t *testing.T) {
	loads := 0
	load := func(fail bool) func() (int, error) {
		return func() (int, error) {
			loads++
			if fail {
				return 0, errors.New("no")
			}
			return loads, nil
		}
	}
	// Without New nothing is remembered.
	plain := context.Background()
	Load(plain, "k", load(false))
	if v, _ := Load(plain, "k", load(false)); v != 2 {
		t.Fatalf("a plain context remembered: %d", v)
	}
	ctx := New(plain)
	loads = 0
	if _, err := Load(ctx, "k", load(true)); err == nil {
		t.Fatal("the failure was lost")
	}
	if v, _ := Load(ctx, "k", load(false)); v != 2 {
		t.Fatalf("a failed load was remembered: %d", v)
	}
	if v, _ := Load(ctx, "k", load(false)); v != 2 || loads != 2 {
		t.Fatalf("read again: %d after %d loads", v, loads)
	}
	if v, _ := Load(ctx, "other", load(false)); v != 3 {
		t.Fatalf("another key shared the value: %d", v)
	}
	Forget(ctx)
	if v, _ := Load(ctx, "k", load(false)); v != 4 {
		t.Fatalf("Forget kept the value: %d", v)
	}
}
