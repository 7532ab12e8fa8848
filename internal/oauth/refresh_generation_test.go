package oauth

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scopekeeper/ent/oauthclient"
	"scopekeeper/ent/refreshtoken"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/store"
)

// A refresh-token family is one row rotated in place: each grant returns the next generation of the
// same family. An older generation is inactive at introspection, revokes nothing at /oauth/revoke
// (its digest is not kept, so it cannot be checked), and at the token endpoint revokes the family
// (RFC 9700 §4.14.2). A generation the family has not reached is refused and revokes nothing.
func TestRefreshGenerations(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	first, _ := signIn(t, tn, web, tn.owner(t), "offline_access", "forums.threads.readonly")

	second := refreshOK(t, tn, web, first.RefreshToken, "")
	third := refreshOK(t, tn, web, second["refresh_token"].(string), "")
	values := []string{first.RefreshToken, second["refresh_token"].(string), third["refresh_token"].(string)}
	key, _, _ := secret.ParseRefresh(values[0])
	for i, v := range values {
		k, gen, ok := secret.ParseRefresh(v)
		if !ok || string(k) != string(key) || gen != uint32(i+1) {
			t.Fatalf("refresh token %d: key %x generation %d; want the family's key %x, generation %d", i, k, gen, key, i+1)
		}
	}
	rows, err := e.DB.Client.RefreshToken.Query().All(e.sys(tn.ID))
	if err != nil || len(rows) != 1 || rows[0].Generation != 3 {
		t.Fatalf("%d refresh-token rows (%v), want one at generation 3", len(rows), err)
	}

	if got := introspect(t, tn, web, values[1]); got["active"] != false {
		t.Fatalf("a rotated-out generation introspects %v", got)
	}
	if got := introspect(t, tn, web, values[2]); got["active"] != true {
		t.Fatalf("the current generation introspects %v", got)
	}
	if resp, _ := postForm(t, tn.Issuer+"/oauth/revoke", url.Values{"token": {values[1]}}, web.ClientID, web.Secret); resp.StatusCode != 200 {
		t.Fatalf("revoke a rotated-out generation: %d", resp.StatusCode)
	}
	if got := introspect(t, tn, web, values[2]); got["active"] != true {
		t.Fatalf("revoking a rotated-out generation revoked the family: %v", got)
	}

	// The next generation, not yet issued, with a made-up secret: refused, the family unharmed.
	ahead, _ := secret.RefreshValue(key, 4)
	resp, body := refresh(t, tn, web, ahead, "")
	wantGrantError(t, "a generation not yet issued", resp, body, "invalid_grant")
	if got := introspect(t, tn, web, values[2]); got["active"] != true {
		t.Fatalf("a generation not yet issued revoked the family: %v", got)
	}
	// The current generation's number with another secret: refused, the family unharmed.
	forged, _ := secret.RefreshValue(key, 3)
	resp, body = refresh(t, tn, web, forged, "")
	wantGrantError(t, "the current generation with another secret", resp, body, "invalid_grant")
	if got := introspect(t, tn, web, values[2]); got["active"] != true {
		t.Fatalf("a wrong secret revoked the family: %v", got)
	}

	// The first generation again: reuse, the family and its access tokens are revoked.
	resp, body = refresh(t, tn, web, values[0], "")
	wantGrantError(t, "a rotated-out generation", resp, body, "invalid_grant")
	if got := introspect(t, tn, web, values[2]); got["active"] != false {
		t.Fatalf("the current generation after reuse: %v", got)
	}
	if got := introspect(t, tn, web, third["access_token"].(string)); got["active"] != false {
		t.Fatalf("an access token of a reused family: %v", got)
	}
}

// A database from before generations were counted opens (the column is added, every row at
// generation 0), and its refresh tokens keep working: one issued then rotates into generation 1
// of its row, and presented again it is a reuse.
func TestRefreshFromBeforeGenerations(t *testing.T) {
	eachDatabase(t, testRefreshFromBeforeGenerations)
}

func testRefreshFromBeforeGenerations(t *testing.T, dsn string) {
	e := newEnvDSN(t, dsn)
	tn := e.tenant(t, "acme")
	read := tn.scope(t, "forums.threads.readonly")
	web := tn.client(t, oauthclient.KindWEB, read)
	now := time.Now()
	var old []string
	for i := range 2 {
		value, key, digest := secret.NewSplit(secret.RefreshTokenPrefix, now)
		e.DB.Client.RefreshToken.Create().SetLookupKey(key).SetTokenHash(digest).SetClientID(web.ID).SetUserID(tn.UserID).
			SetAuthRequestID(-1 - i).SetScopeIds([]int{read.ID}).SetAuthTime(now).SetIssuedAt(now).SetExpiresAt(now.Add(time.Hour)).
			ExecX(e.sys(tn.ID))
		old = append(old, value)
	}
	// The schema before: no generation column. Opening the database adds it back.
	if _, err := e.DB.SQL.ExecContext(t.Context(), "ALTER TABLE "+refreshtoken.Table+" DROP COLUMN "+refreshtoken.FieldGeneration); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open a database from before generations: %v", err)
	}
	db.Close()

	next := refreshOK(t, tn, web, old[0], "")["refresh_token"].(string)
	if _, gen, ok := secret.ParseRefresh(next); !ok || gen != 1 || len(strings.TrimPrefix(next, secret.RefreshTokenPrefix)) != 70 {
		t.Fatalf("the refresh token after an old one: %q (generation %d)", next, gen)
	}
	refreshOK(t, tn, web, next, "")
	resp, body := refresh(t, tn, web, old[0], "")
	wantGrantError(t, "an old refresh token used twice", resp, body, "invalid_grant")
	if got := introspect(t, tn, web, next); got["active"] != false {
		t.Fatalf("the family of a reused old refresh token: %v", got)
	}
	// The other old token, never used, is unaffected.
	if got := introspect(t, tn, web, old[1]); got["active"] != true {
		t.Fatalf("an unused old refresh token introspects %v", got)
	}
	refreshOK(t, tn, web, old[1], "")
}

// rotateSQL's parameters must first appear in the order of their numbers, 6 per family and the
// organisation: SQLite numbers $name parameters by first appearance and binds rotate's arguments
// by position, PostgreSQL by the number.
func TestRotateSQLParameterOrder(t *testing.T) {
	for _, n := range []int{1, 2, 8, 256} {
		q := rotateSQL(n)
		seen := map[string]bool{}
		next := 1
		for _, m := range regexp.MustCompile(`\$[0-9]+`).FindAllString(q, -1) {
			if seen[m] {
				continue
			}
			if m != "$"+strconv.Itoa(next) {
				t.Fatalf("rotateSQL(%d): %s first appears where $%d should", n, m, next)
			}
			seen[m] = true
			next++
		}
		if next-1 != 6*n+1 {
			t.Fatalf("rotateSQL(%d) has %d parameters, want %d", n, next-1, 6*n+1)
		}
	}
}
