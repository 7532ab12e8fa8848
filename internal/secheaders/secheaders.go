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
		// Shared, full slices: no allocation per response (an Add by someone else appends to a copy).
		h := w.Header()
		h["Referrer-Policy"] = noReferrer
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = deny
		if https {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

var (
	noReferrer = []string{"no-referrer"}
	nosniff    = []string{"nosniff"}
	deny       = []string{"DENY"}
	hsts       = []string{HSTS}
)
