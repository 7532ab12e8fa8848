package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestBody sends arbitrary bodies through the whole POST path (limits, parsing, validation,
// complexity) with nobody signed in: every answer is a JSON GraphQL response with a client-error
// or success status, never a panic or a server error, and never quotes a body it refused.
func FuzzRequestBody(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ __typename }"}`,
		`{"query":"{ ` + strings.Repeat("a: __typename ", 40) + `}"}`,
		`{"query":"` + strings.Repeat("{ a ", 30) + strings.Repeat("} ", 30) + `"}`,
		`{"query":"query($n: Int) { apis(first: $n) { totalCount } }","variables":{"n":4611686018427387904}}`,
		`{"query":"fragment F on Query { ...F } { ...F }"}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query": 5}`,
		`[1,2`,
	} {
		f.Add([]byte(seed))
	}
	h, _ := newTestHandler(f, Options{MaxBody: 64 << 10})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var out struct {
			Errors []gqlErr `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("not JSON (%v): %s", err, rec.Body)
		}
		for _, e := range out.Errors {
			if code, _ := e.Extensions["code"].(string); code == "" || code == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("error %+v for %q", e, body)
			}
		}
		if rec.Code == http.StatusBadRequest && len(body) > 16 && bytes.Contains(rec.Body.Bytes(), body) {
			t.Fatalf("the refused body is quoted back: %s", rec.Body)
		}
	})
}
