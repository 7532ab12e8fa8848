// Package reqid gives every request an ID: the caller's X-Request-Id when it is a plausible one,
// else a new random one. The ID is echoed in the response, carried in the context and added to
// every log line written with that context.
package reqid

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync/atomic"
)

// Header is the request and response header that carries the ID.
const Header = "X-Request-Id"

type key struct{}

// FromContext returns the request's ID, or "".
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Middleware sets the ID on the response and in the request's context.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !valid(id) {
			id = newID()
		}
		w.Header()[Header] = []string{id} // canonical already
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, id)))
	})
}

// valid accepts what proxies and tracing systems send (UUIDs, hex, base64url and the like), up
// to 128 characters; anything else is replaced, so a log line never carries arbitrary text.
func valid(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// IDs are this process's random prefix and a counter: unique across processes and restarts
// without a read of the system's randomness per request (an ID is a label, not a secret).
var (
	prefix  = randomPrefix()
	counter atomic.Uint64
)

func randomPrefix() [8]byte {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return b
}

func newID() string {
	var b [16]byte
	copy(b[:8], prefix[:])
	binary.BigEndian.PutUint64(b[8:], counter.Add(1))
	return hex.EncodeToString(b[:])
}

// LogHandler adds request_id to every record logged with a request's context.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := FromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
