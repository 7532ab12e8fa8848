package oauth

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"scopekeeper/internal/secret"
)

// FuzzParseScope checks the scope parameter parser (RFC 6749 §3.3) on any input: it never panics,
// and what it accepts are valid, distinct (ignoring case) scope-tokens taken from the input.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", " ", "openid", "a b c", "A a", "forums.threads.readonly  forums.threads.modify ",
		"x\"y", "back\\slash", "tab\there", "é", strings.Repeat("s", 129), strings.Repeat("a ", 101), "\x00", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := ParseScope(s)
		if err != nil {
			if toks != nil {
				t.Fatalf("error %v with tokens %q", err, toks)
			}
			return
		}
		seen := map[string]bool{}
		for _, tok := range toks {
			if tok == "" || len(tok) > maxScopeTokenLen || !utf8.ValidString(tok) {
				t.Fatalf("bad token %q from %q", tok, s)
			}
			for i := 0; i < len(tok); i++ {
				if c := tok[i]; c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
					t.Fatalf("token %q has %q", tok, c)
				}
			}
			if !strings.Contains(s, tok) {
				t.Fatalf("token %q not in input %q", tok, s)
			}
			k := strings.ToLower(tok)
			if seen[k] {
				t.Fatalf("repeated token %q", tok)
			}
			seen[k] = true
		}
		if len(toks) > maxScopeTokens {
			t.Fatalf("%d tokens", len(toks))
		}
	})
}

// FuzzParseTokenRequest checks the token-endpoint request parser (RFC 6749 §3.2, §2.3.1): it never
// panics, errors are RFC 6749 error codes, and an accepted request has single-valued parameters
// and at most one client authentication method.
func FuzzParseTokenRequest(f *testing.F) {
	basic := "Basic " + "Y2xpZW50OnNrc19zZWNyZXQ=" // client:sks_secret
	ct := "application/x-www-form-urlencoded"
	for _, s := range []struct{ auth, ct, body string }{
		{basic, ct, "grant_type=client_credentials&scope=a+b"},
		{"", ct, "grant_type=client_credentials&client_id=c&client_secret=s"},
		{basic, ct, "grant_type=client_credentials&client_secret=s"},
		{basic, ct, "grant_type=client_credentials&client_id=other"},
		{"", ct + "; charset=UTF-8", "grant_type=authorization_code&code=skc_x&redirect_uri=https%3A%2F%2Fa%2Fcb&code_verifier=v"},
		{"", ct, "grant_type=a&grant_type=b"},
		{"", ct, "%zz=1"},
		{"", "application/json", `{"grant_type":"client_credentials"}`},
		{"Bearer x", ct, "grant_type=client_credentials"},
		{"Basic !!!", ct, ""},
		{"Basic " + "bm9jb2xvbg==", ct, ""}, // nocolon
		{"basic " + "YSUyMGI6YyUzQQ==", ct, "a=1;b=2"},
		{"", "", ""},
	} {
		f.Add(s.auth, s.ct, []byte(s.body))
	}
	codes := map[string]bool{"invalid_request": true, "invalid_client": true}
	f.Fuzz(func(t *testing.T, auth, contentType string, body []byte) {
		req, oe := parseForm(auth, contentType, body)
		if oe != nil {
			if req != nil || !codes[string(oe.ErrorType)] || oe.Description == "" {
				t.Fatalf("error %+v with request %+v", oe, req)
			}
			return
		}
		values, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("accepted a body url.ParseQuery refuses: %v", err)
		}
		for k, v := range values {
			if len(v) != 1 || req.get(k) != v[0] {
				t.Fatalf("parameter %q: %q vs %q", k, v, req.get(k))
			}
		}
		if req.creds.basic {
			if req.has("client_secret") {
				t.Fatal("two authentication methods accepted")
			}
			if cid, ok := req.params["client_id"]; ok && cid != req.creds.id {
				t.Fatal("client_id differs from Basic")
			}
		} else if req.creds.id != req.get("client_id") || req.creds.secret != req.get("client_secret") {
			t.Fatalf("credentials %+v not from the body", req.creds)
		}
		// Whatever was accepted, the scope parameter parser copes with it too.
		_, _ = parseScopeParam(req.get("scope"))
	})
}

// FuzzParseRefreshRequest checks the refresh_token grant's parser (RFC 6749 §6) on any body: it never
// panics, errors are RFC 6749 error codes with a description, and an accepted request carries a
// refresh token of ours with its lookup key and generation and a scope made of scope-tokens of
// the body.
func FuzzParseRefreshRequest(f *testing.F) {
	ct := "application/x-www-form-urlencoded"
	valid := "skr_" + strings.Repeat("A", 70)
	for _, body := range []string{
		"grant_type=refresh_token&refresh_token=skr_" + strings.Repeat("B", 64), // issued before generations
		"grant_type=refresh_token&refresh_token=" + valid,
		"grant_type=refresh_token&refresh_token=" + valid + "&scope=openid+forums.threads.readonly",
		"grant_type=refresh_token&refresh_token=" + valid + "&scope=bad%5Cscope",
		"grant_type=refresh_token&refresh_token=ska_" + strings.Repeat("A", 64),
		"grant_type=refresh_token&refresh_token=skr_short",
		"grant_type=refresh_token",
		"refresh_token=" + valid + "&refresh_token=" + valid,
	} {
		f.Add([]byte(body))
	}
	codes := map[string]bool{"invalid_request": true, "invalid_grant": true, "invalid_scope": true}
	f.Fuzz(func(t *testing.T, body []byte) {
		form, oe := parseForm("", ct, body)
		if oe != nil {
			return
		}
		req, oe := parseRefreshRequest(form)
		if oe != nil {
			if !codes[string(oe.ErrorType)] || oe.Description == "" {
				t.Fatalf("error %+v", oe)
			}
			return
		}
		if key, gen, ok := secret.ParseRefresh(req.value); req.value != form.get("refresh_token") || !ok || !bytes.Equal(key, req.key) || gen != req.gen {
			t.Fatalf("accepted %+v", req)
		}
		for _, n := range req.scope.names {
			if !strings.Contains(form.get("scope"), n) {
				t.Fatalf("scope %q not in %q", n, form.get("scope"))
			}
		}
	})
}
