// Package secheaders sets the browser security headers every response carries.
package secheaders

import (
	"net/http"
	"strings"
)

// HSTS is the Strict-Transport-Security value sent when the public URL is https: two years.
const HSTS = "max-age=63072000; includeSubDomains"

// Handler wraps next so that every response says: send no Referer (URLs of the console and the
// authorization endpoint carry IDs and state), do not sniff content types, never show this in a
// frame (the consent screen must not be clickjacked), and, behind an https publicURL, use https only.
func Handler(publicURL string, next http.Handler) http.Handler {
	https := strings.HasPrefix(strings.ToLower(publicURL), "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if https {
			h.Set("Strict-Transport-Security", HSTS)
		}
		next.ServeHTTP(w, r)
	})
}
