package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"scopekeeper/ent"
	"scopekeeper/ent/api"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/internal/loadgen"
	"scopekeeper/internal/secret"
)

// conns is how many keep-alive connections the load generator keeps busy.
const conns = 32

// BenchmarkLoopback measures the issuer over real HTTP on loopback against SQLite (a file in a
// temporary directory), with the load generator (internal/loadgen) in the same process:
//
//	go test -run '^$' -bench Loopback -benchtime 5s ./internal/oauth
//
// SCOPEKEEPER_BENCH_DB overrides the database (a SQLite path or file: URI, or a postgres:// URL).
//
// Each sub-benchmark reports req/s and the p50/p99 latency of one request; Bare is a net/http
// handler that writes a fixed small JSON body, the ceiling the machine allows for this harness.
func BenchmarkLoopback(b *testing.B) {
	dsn := b.TempDir() + "/bench.db"
	if v := os.Getenv("SCOPEKEEPER_BENCH_DB"); v != "" {
		dsn = v // e.g. a postgres:// URL, or a SQLite file with extra parameters
	}
	e := newEnvDSN(b, dsn)
	tn := e.tenant(b, "acme")
	read := tn.scope(b, "forums.threads.readonly")
	modify := tn.scope(b, "forums.threads.modify")
	tn.scope(b, "forums.members.readonly", required)
	svc := tn.client(b, oauthclient.KindSERVICE, read, modify)
	rs := tn.client(b, oauthclient.KindSERVICE, tn.scope(b, "forums.stats.readonly"))

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 512))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"active":true,"scope":"forums.threads.readonly","client_id":"x","token_type":"Bearer"}` + "\n"))
	}))
	defer bare.Close()

	tokens := make([]string, 64)
	for i := range tokens {
		tok, err := ccConfig(tn, svc, oauth2.AuthStyleInHeader).Token(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok.AccessToken
	}
	basic := func(user, pass string) http.Header {
		r, _ := http.NewRequest(http.MethodPost, "/", nil)
		r.SetBasicAuth(user, pass)
		return http.Header{"Authorization": r.Header["Authorization"], "Content-Type": {"application/x-www-form-urlencoded"}}
	}
	ccBody := []byte(url.Values{"grant_type": {"client_credentials"}}.Encode())
	cc := [][]byte{loadgen.Request(http.MethodPost, tn.tokenURL(), basic(svc.ClientID, svc.Secret), ccBody)}
	introspect := make([][]byte, len(tokens))
	for i, tok := range tokens {
		body := []byte(url.Values{"token": {tok}}.Encode())
		introspect[i] = loadgen.Request(http.MethodPost, tn.Issuer+"/oauth/introspect", basic(rs.ClientID, rs.Secret), body)
	}

	// ClientCredentialsJWT: the same grant for an API whose accessTokenFormat is JWT (RFC 9068,
	// signed with the organisation's key), recorded through the same writer.
	jwtAPI, err := e.DB.Client.API.Create().SetName("reports").SetBasePath("/reports").
		SetAccessTokenFormat(api.AccessTokenFormatJWT).Save(e.sys(tn.ID))
	if err != nil {
		b.Fatal(err)
	}
	jsvc := tn.client(b, oauthclient.KindSERVICE, tn.scope(b, "reports.readonly", onAPI(jwtAPI)))
	jcc := [][]byte{loadgen.Request(http.MethodPost, tn.tokenURL(), basic(jsvc.ClientID, jsvc.Secret), ccBody)}

	b.Run("Bare", func(b *testing.B) { loadgen.Run(b, bare.URL, conns, cc, http.StatusOK) })
	b.Run("ClientCredentials", func(b *testing.B) { loadgen.Run(b, tn.tokenURL(), conns, cc, http.StatusOK) })
	b.Run("ClientCredentialsJWT", func(b *testing.B) { loadgen.Run(b, tn.tokenURL(), conns, jcc, http.StatusOK) })
	b.Run("Introspection", func(b *testing.B) { loadgen.Run(b, tn.Issuer, conns, introspect, http.StatusOK) })
	// Refresh: grant_type=refresh_token by a WEB client, each refresh token used once (rotation);
	// without openid, so no ID token is signed.
	web := tn.client(b, oauthclient.KindWEB, read)
	b.Run("Refresh", func(b *testing.B) {
		values := mintRefresh(b, e, tn, web, []int{read.ID}, b.N+conns)
		reqs := make([][]byte, len(values))
		for i, v := range values {
			body := []byte(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {v}}.Encode())
			reqs[i] = loadgen.Request(http.MethodPost, tn.tokenURL(), basic(web.ClientID, web.Secret), body)
		}
		loadgen.Run(b, tn.tokenURL(), conns, reqs, http.StatusOK)
	})
}

// mintRefresh stores n offline refresh tokens of c, each in a family of its own, as issuance
// would, in bulk (so that a profile of the benchmark shows the refresh grants, not this), and
// returns their values.
func mintRefresh(t testing.TB, e *env, tn *tenant, c *testClient, scopes []int, n int) []string {
	values := make([]string, n)
	for start := 0; start < n; start += 1000 {
		var rows []*ent.RefreshTokenCreate
		for i := start; i < min(n, start+1000); i++ {
			now := time.Now()
			key, _ := secret.NewKey(now)
			value, digest := secret.RefreshValue(key, 1)
			rows = append(rows, e.DB.Client.RefreshToken.Create().SetLookupKey(key).SetTokenHash(digest).SetGeneration(1).SetClientID(c.ID).
				SetUserID(tn.UserID).SetAuthRequestID(-1-i).SetScopeIds(scopes).SetAuthTime(now).SetIssuedAt(now).SetExpiresAt(now.Add(time.Hour)))
			values[i] = value
		}
		if err := e.DB.Client.RefreshToken.CreateBulk(rows...).Exec(e.sys(tn.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return values
}
