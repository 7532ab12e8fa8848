// Package bodylimit bounds request bodies: a declared length over the limit is refused with 413
// before anything is read, and a body without a declared length stops being read at the limit
// (the handler's read fails with *http.MaxBytesError).
package bodylimit

import (
	"fmt"
	"net/http"
)

// Default is the limit unless configured: 1 MiB.
const Default = 1 << 20

// Middleware limits the bodies of requests to next to max bytes.
func Middleware(max int64, next http.Handler) http.Handler {
	tooLarge := fmt.Sprintf(`{"error":"request_too_large","error_description":"The request body is larger than %d bytes."}`+"\n", max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(tooLarge))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}
