package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"scopekeeper/ent/oauthclient"
)

// A rotation signs new ID tokens with a new key while tokens signed before still verify; retiring
// the old key unpublishes it. Verified as a relying party does, with go-oidc against jwks_uri.
func TestSigningKeyRotation(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	web := tn.client(t, oauthclient.KindWEB, tn.scope(t, "forums.threads.readonly"))
	g := tn.owner(t)
	ctx := context.Background()

	idToken := func() (raw, kid string) {
		t.Helper()
		f := newCodeFlow(t, tn, web, "https://app.example/callback", gooidc.ScopeOpenID, "forums.threads.readonly")
		loc := f.authorize(g.HTTP, f.authURL())
		if loc.Host != "app.example" {
			_, loc = f.consent(g, loc, true, []string{"forums.threads.readonly"})
		}
		tok, err := f.exchange(f.code(loc))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = tok.Extra("id_token").(string)
		jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{Algorithm})
		if err != nil {
			t.Fatal(err)
		}
		return raw, jws.Signatures[0].Header.KeyID
	}
	verify := func(raw string) error {
		// A new key set each time: go-oidc caches the keys it fetched.
		keySet := gooidc.NewRemoteKeySet(ctx, tn.Issuer+"/oauth/jwks")
		_, err := gooidc.NewVerifier(tn.Issuer, keySet, &gooidc.Config{ClientID: web.ClientID}).Verify(ctx, raw)
		return err
	}
	published := func() []string {
		t.Helper()
		resp, err := http.Get(tn.Issuer + "/oauth/jwks")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set jose.JSONWebKeySet
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatal(err)
		}
		var kids []string
		for _, k := range set.Keys {
			kids = append(kids, k.KeyID)
		}
		slices.Sort(kids)
		return kids
	}
	type key struct {
		ID, Kid   string
		Current   bool
		RetiredAt *string
	}
	listKeys := func() []key {
		t.Helper()
		r := g.do(`{ signingKeys { id kid current retiredAt } }`, nil)
		if r.code() != "" {
			t.Fatalf("signingKeys: %+v", r.Errors)
		}
		b, _ := json.Marshal(r.Data["signingKeys"])
		var ks []key
		_ = json.Unmarshal(b, &ks)
		return ks
	}

	oldRaw, oldKid := idToken()
	stored, err := e.DB.SigningKey.Query().All(e.sys(tn.ID))
	if err != nil || len(stored) != 1 || stored[0].PrivateKey[0] == 0x30 || !e.P.keeper.Seals() {
		t.Fatalf("the key is not stored sealed (%d keys, %v)", len(stored), err)
	}
	if ks := listKeys(); len(ks) != 1 || ks[0].Kid != oldKid || !ks[0].Current {
		t.Fatalf("before rotation: keys %+v, want the one that signed (%s), current", ks, oldKid)
	}

	r := g.do(`mutation { rotateSigningKey { kid current } }`, nil)
	newKid, _ := r.Data["rotateSigningKey"].(map[string]any)["kid"].(string)
	if r.code() != "" || newKid == "" || newKid == oldKid {
		t.Fatalf("rotateSigningKey: %+v", r)
	}
	audit := g.do(`{ auditEvents(first: 3, orderBy: {field: AT, direction: DESC}) { edges { node { action targetType after } } } }`, nil)
	if b, _ := json.Marshal(audit); !strings.Contains(string(b), newKid) || strings.Contains(strings.ToLower(string(b)), "private") {
		t.Fatalf("the audit log should record the rotation without the private key: %s", b)
	}
	newRaw, kid := idToken()
	if kid != newKid {
		t.Fatalf("after rotation an ID token is signed by %s, want the new key %s", kid, newKid)
	}
	if got, want := published(), sortedOf(oldKid, newKid); !slices.Equal(got, want) {
		t.Fatalf("jwks after rotation: %v, want %v", got, want)
	}
	for name, raw := range map[string]string{"old": oldRaw, "new": newRaw} {
		if err := verify(raw); err != nil {
			t.Fatalf("the %s ID token does not verify after rotation: %v", name, err)
		}
	}

	ks := listKeys()
	if len(ks) != 2 || ks[0].Kid != newKid || !ks[0].Current || ks[1].Current {
		t.Fatalf("after rotation: keys %+v, want the new one first and current", ks)
	}
	retire := `mutation($id: ID!) { retireSigningKey(id: $id) { kid current retiredAt } }`
	if r := g.do(retire, map[string]any{"id": ks[0].ID}); r.code() != "VALIDATION_FAILED" {
		t.Fatalf("retiring the current key: %+v, want VALIDATION_FAILED", r)
	}
	if r := g.do(retire, map[string]any{"id": ks[1].ID}); r.code() != "" || r.Data["retireSigningKey"].(map[string]any)["retiredAt"] == nil {
		t.Fatalf("retiring the old key: %+v", r)
	}
	if got := published(); !slices.Equal(got, []string{newKid}) {
		t.Fatalf("jwks after retiring %s: %v", oldKid, got)
	}
	if err := verify(oldRaw); err == nil {
		t.Fatal("an ID token of a retired key still verifies")
	}
	if err := verify(newRaw); err != nil {
		t.Fatalf("the current key's ID token: %v", err)
	}
	if r := g.do(retire, map[string]any{"id": ks[1].ID}); r.code() != "" {
		t.Fatalf("retiring a retired key again: %+v", r)
	}
}

func sortedOf(s ...string) []string { slices.Sort(s); return s }
