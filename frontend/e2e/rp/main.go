// Command rp is the relying party of the end-to-end authorization-code test: a web app that signs
// its users in through a Scopekeeper issuer with golang.org/x/oauth2 (PKCE S256) and verifies the ID
// token with github.com/coreos/go-oidc/v3, unchanged, as an integrator's app would. The browser
// test starts it, walks /start → sign-in → consent → /callback, and reads the JSON it answers.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"scopekeeper/internal/secret"
)

type pending struct{ verifier, nonce string }

func main() {
	issuer := flag.String("issuer", "", "the organisation's issuer URL")
	clientID := flag.String("client-id", "", "client_id of a WEB client")
	clientSecret := flag.String("client-secret", "", "its secret")
	addr := flag.String("addr", "127.0.0.1:0", "listen address; the redirect URI is http://ADDR/callback")
	scopes := flag.String("scopes", "", "space-separated scopes to ask for, besides openid")
	flag.Parse()

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, *issuer)
	if err != nil {
		log.Fatalf("rp: discover %s: %v", *issuer, err)
	}
	cfg := oauth2.Config{
		ClientID: *clientID, ClientSecret: *clientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: "http://" + *addr + "/callback",
		Scopes:      append([]string{oidc.ScopeOpenID}, strings.Fields(*scopes)...),
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: *clientID})
	var mu sync.Mutex
	flows := map[string]pending{}

	http.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		state, p := secret.RandomID(16), pending{verifier: oauth2.GenerateVerifier(), nonce: secret.RandomID(16)}
		mu.Lock()
		flows[state] = p
		mu.Unlock()
		http.Redirect(w, r, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(p.verifier), oidc.Nonce(p.nonce)), http.StatusFound)
	})
	http.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		p, ok := flows[q.Get("state")]
		delete(flows, q.Get("state"))
		mu.Unlock()
		result := map[string]any{}
		switch {
		case !ok:
			result["error"] = "unknown state"
		case q.Get("error") != "":
			result["error"] = q.Get("error")
		default:
			tok, err := cfg.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier))
			if err != nil {
				result["error"] = "exchange: " + err.Error()
				break
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := verifier.Verify(r.Context(), raw)
			if err != nil {
				result["error"] = "verify id_token: " + err.Error()
				break
			}
			if idt.Nonce != p.nonce {
				result["error"] = "nonce mismatch"
				break
			}
			result["verified"] = true
			result["subject"] = idt.Subject
			result["scope"] = tok.Extra("scope")
			result["tokenType"] = tok.TokenType
			// A second exchange of the same code must fail (single use).
			if _, err := cfg.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier)); err == nil {
				result["error"] = "the code was accepted twice"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(result)
	})
	log.Printf("rp: listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
