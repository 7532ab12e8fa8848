package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"scopekeeper/internal/loadgen"
)

// BenchmarkServer measures what the server-wide chain (request IDs, metrics, body limit) costs
// the hot paths: the token endpoint and the access check through the whole handler, beside the
// same routes without the chain and a bare net/http handler, in the same run:
//
//	go test -run '^$' -bench Server -benchtime 5s . | go run ./cmd/benchratio
func BenchmarkServer(b *testing.B) {
	e := newEnv(b)
	fx := newAccessFixture(b, e, "acme")
	token := fx.token(b, "acme")
	// Both without the test environment's own wrapper (it counts SQL statements per request).
	routes := httptest.NewServer(e.app.routes())
	defer routes.Close()
	whole := httptest.NewServer(e.app.handler())
	defer whole.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 512))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"allowed":true,"scope":"forums.threads.readonly","reason":"granted"}` + "\n"))
	}))
	defer bare.Close()

	basic := func(user, pass string, contentType string) http.Header {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.SetBasicAuth(user, pass)
		return http.Header{"Authorization": r.Header["Authorization"], "Content-Type": {contentType}}
	}
	ccBody := []byte(url.Values{"grant_type": {"client_credentials"}}.Encode())
	checkBody, _ := json.Marshal(map[string]string{"credential": token, "method": "GET", "path": "/forums/threads/42"})
	requests := func(base string) (cc, check [][]byte) {
		cc = [][]byte{loadgen.Request(http.MethodPost, base+"/o/acme/oauth/token",
			basic(fx.workerID, fx.workerSecret, "application/x-www-form-urlencoded"), ccBody)}
		check = [][]byte{loadgen.Request(http.MethodPost, base+"/o/acme/v1/check",
			basic(fx.checkerID, fx.checkerSecret, "application/json"), checkBody)}
		return cc, check
	}
	ccChain, checkChain := requests(whole.URL)
	ccRoutes, checkRoutes := requests(routes.URL)
	const conns = 32
	b.Run("Bare", func(b *testing.B) { loadgen.Run(b, bare.URL, conns, checkChain, http.StatusOK) })
	b.Run("TokenRoutesOnly", func(b *testing.B) { loadgen.Run(b, routes.URL, conns, ccRoutes, http.StatusOK) })
	b.Run("TokenWholeServer", func(b *testing.B) { loadgen.Run(b, whole.URL, conns, ccChain, http.StatusOK) })
	b.Run("CheckRoutesOnly", func(b *testing.B) { loadgen.Run(b, routes.URL, conns, checkRoutes, http.StatusOK) })
	b.Run("CheckWholeServer", func(b *testing.B) { loadgen.Run(b, whole.URL, conns, checkChain, http.StatusOK) })
}
