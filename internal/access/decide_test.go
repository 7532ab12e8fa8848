package access

import (
	"strings"
	"testing"
	"time"

	"scopekeeper/ent"
	"scopekeeper/internal/credential"
)

var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func activeKey() *credential.Credential {
	return &credential.Credential{Kind: credential.APIKey, Active: true, ID: 7, Key: &ent.APIKey{ID: 7, Name: "ci", Prefix: "skk_abcdefgh"}}
}

// forumsView is the organisation of the rule tests.
func forumsView() *view {
	scopes := []ScopeSpec{
		{101, "forums.threads.readonly", 1}, {102, "forums.threads.modify", 1},
		{103, "forums.members.readonly", 1}, {104, "forums.members.modify", 1},
		{105, "billing:read", 1}, {106, "Posts.Drafts.modify", 1}, {107, "posts.drafts.readonly", 1},
		{201, "shared.read", 2},
	}
	specs := []EndpointSpec{
		{1, 1, "GET", "/forums/threads", []int{101}},
		{2, 1, "GET", "/forums/threads/{id}", []int{101}},
		{3, 1, "HEAD", "/forums/threads/{id}", []int{101}},
		{4, 1, "POST", "/forums/threads", []int{102}},
		{5, 1, "PUT", "/forums/threads/{id}", []int{102}},
		{6, 1, "GET", "/forums/members/{id}", []int{103}},
		{7, 1, "GET", "/forums/billing", []int{105}},
		{8, 1, "GET", "/forums/stats", nil},
		{9, 1, "POST", "/forums/report", nil},
		{10, 1, "GET", "/forums/drafts", []int{107}},
		// The same template in two APIs with overlapping base paths.
		{11, 1, "GET", "/shared/{id}", []int{105}},
		{12, 2, "GET", "/shared/{key}", []int{201}},
	}
	return compile(1, specs, scopes)
}

func TestDecideRules(t *testing.T) {
	v := forumsView()
	type cred struct {
		kind              credential.Kind
		reason            string
		scopes, withdrawn []int
		read, modify      bool
		expires           time.Time
	}
	token := func(scopes ...int) cred { return cred{kind: credential.AccessToken, scopes: scopes} }
	key := func(scopes ...int) cred { return cred{kind: credential.APIKey, scopes: scopes} }
	with := func(c cred, f func(*cred)) cred { f(&c); return c }
	for _, tc := range []struct {
		name         string
		cred         cred
		method, path string
		allowed      bool
		reason       string
		scope        string
		endpoint     int
	}{
		// Rule 9: a scope linked to the matched endpoint.
		{"linked scope grants", token(101), "GET", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
		{"linked scope grants with a parameter", key(101), "GET", "/forums/threads/42", true, ReasonGranted, "forums.threads.readonly", 2},
		{"HEAD matches the HEAD endpoint", token(101), "HEAD", "/forums/threads/42", true, ReasonGranted, "forums.threads.readonly", 3},
		{"HEAD falls back to the GET endpoint", token(101), "HEAD", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
		{"method is case-insensitive", token(101), "get", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
		{"readonly does not cover modify endpoints", token(101), "POST", "/forums/threads", false, ReasonMissingScope, "", 4},
		{"scope of another endpoint does not grant", token(105), "GET", "/forums/threads", false, ReasonMissingScope, "", 1},
		{"no scopes at all", key(), "GET", "/forums/threads/1", false, ReasonMissingScope, "", 2},
		// Rule 9: modify covers its readonly sibling, whatever the naming policy.
		{"modify covers readonly sibling", token(102), "GET", "/forums/threads/1", true, ReasonGranted, "forums.threads.modify", 2},
		{"modify without endpoints covers sibling", key(104), "GET", "/forums/members/9", true, ReasonGranted, "forums.members.modify", 6},
		{"modify does not cover another entity", token(102), "GET", "/forums/members/9", false, ReasonMissingScope, "", 6},
		{"linked scope is named before a sibling", token(101, 102), "GET", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
		{"sibling found ignoring case", token(106), "GET", "/forums/drafts", true, ReasonGranted, "Posts.Drafts.modify", 10},
		// Rule 9: uncategorized endpoints.
		{"uncategorized read needs the read flag", token(101), "GET", "/forums/stats", false, ReasonUncategorizedNotAllowed, "", 8},
		{"uncategorized read allowed", with(token(), func(c *cred) { c.read = true }), "GET", "/forums/stats", true, ReasonGrantedUncategorized, "", 8},
		{"uncategorized HEAD is a read", with(key(), func(c *cred) { c.read = true }), "HEAD", "/forums/stats", true, ReasonGrantedUncategorized, "", 8},
		{"read flag does not allow modify", with(key(), func(c *cred) { c.read = true }), "POST", "/forums/report", false, ReasonUncategorizedNotAllowed, "", 9},
		{"modify flag allows modify", with(key(), func(c *cred) { c.modify = true }), "POST", "/forums/report", true, ReasonGrantedUncategorized, "", 9},
		{"modify flag does not allow read", with(token(), func(c *cred) { c.modify = true }), "GET", "/forums/stats", false, ReasonUncategorizedNotAllowed, "", 8},
		// Rule 9: a path under no registered endpoint is denied.
		{"unknown path", with(token(101), func(c *cred) { c.read, c.modify = true, true }), "GET", "/forums/unknown", false, ReasonUnknownPath, "", 0},
		{"unregistered method", token(101, 102), "DELETE", "/forums/threads/1", false, ReasonUnknownPath, "", 0},
		{"not a method", token(101), "BREW", "/forums/threads", false, ReasonUnknownPath, "", 0},
		{"dot segment", token(101), "GET", "/forums/threads/../stats", false, ReasonUnknownPath, "", 0},
		{"trailing slash", token(101), "GET", "/forums/threads/", false, ReasonUnknownPath, "", 0},
		{"relative path", token(101), "GET", "forums/threads", false, ReasonUnknownPath, "", 0},
		// Several APIs with one template: any allows.
		{"same template, second API allows", token(201), "GET", "/shared/x", true, ReasonGranted, "shared.read", 12},
		{"same template, none allows", token(101), "GET", "/shared/x", false, ReasonMissingScope, "", 11},
		// Rule 10 (and 8): withdrawn scopes.
		{"key narrowed by the organisation", with(key(), func(c *cred) { c.withdrawn = []int{101} }), "GET", "/forums/threads", false, ReasonNarrowedByOrganisation, "", 1},
		{"key narrowed, sibling withdrawn", with(key(), func(c *cred) { c.withdrawn = []int{102} }), "GET", "/forums/threads", false, ReasonNarrowedByOrganisation, "", 1},
		{"key keeps what the organisation allows", with(key(101), func(c *cred) { c.withdrawn = []int{102} }), "GET", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
		{"token whose client lost the scope", with(token(), func(c *cred) { c.withdrawn = []int{101} }), "GET", "/forums/threads", false, ReasonMissingScope, "", 1},
		// The credential itself.
		{"unknown credential", cred{reason: ReasonUnknownCredential}, "GET", "/forums/threads", false, ReasonUnknownCredential, "", 0},
		{"revoked key", cred{kind: credential.APIKey, reason: ReasonRevoked}, "GET", "/forums/threads", false, ReasonRevoked, "", 0},
		{"expired token", cred{kind: credential.AccessToken, reason: ReasonExpired}, "GET", "/forums/threads", false, ReasonExpired, "", 0},
		{"disabled client", cred{kind: credential.AccessToken, reason: ReasonClientDisabled}, "GET", "/forums/threads", false, ReasonClientDisabled, "", 0},
		{"expired while cached", with(token(101), func(c *cred) { c.expires = testNow.Add(-time.Second) }), "GET", "/forums/threads", false, ReasonExpired, "", 0},
		{"expires later", with(token(101), func(c *cred) { c.expires = testNow.Add(time.Hour) }), "GET", "/forums/threads", true, ReasonGranted, "forums.threads.readonly", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &credential.Credential{Kind: tc.cred.kind, Reason: tc.cred.reason, Active: tc.cred.reason == "",
				AllowUncategorizedRead: tc.cred.read, AllowUncategorizedModify: tc.cred.modify, ExpiresAt: tc.cred.expires}
			if c.Kind == credential.APIKey {
				c.Key = &ent.APIKey{Name: "k", Prefix: "skk_12345678"}
			} else if c.Kind == credential.AccessToken {
				c.Client = &ent.OAuthClient{Name: "worker"}
			}
			for _, id := range tc.cred.scopes {
				c.Scopes = append(c.Scopes, &ent.Scope{ID: id, Name: v.scopes[id].Name})
			}
			for _, id := range tc.cred.withdrawn {
				c.Withdrawn = append(c.Withdrawn, &ent.Scope{ID: id, Name: v.scopes[id].Name})
			}
			g := newGrant(1, c)
			for _, explain := range []bool{false, true} {
				d := decide(g, v, tc.method, tc.path, testNow, explain)
				if d.Allowed != tc.allowed || d.Reason != tc.reason || d.Scope != tc.scope {
					t.Fatalf("explain=%v: got allowed=%v reason=%s scope=%q, want %v %s %q\n%s", explain,
						d.Allowed, d.Reason, d.Scope, tc.allowed, tc.reason, tc.scope, strings.Join(d.Explanation, "\n"))
				}
				got := 0
				if d.Endpoint != nil {
					got = d.Endpoint.ID
				}
				if got != tc.endpoint {
					t.Fatalf("endpoint %d, want %d", got, tc.endpoint)
				}
				if explain && len(d.Explanation) == 0 {
					t.Fatal("no explanation")
				}
				if !explain && d.Explanation != nil {
					t.Fatal("explanation built without being asked for")
				}
			}
		})
	}
}

func TestExplanationNamesTheCause(t *testing.T) {
	v := forumsView()
	c := activeKey()
	c.Withdrawn = []*ent.Scope{{ID: 101, Name: "forums.threads.readonly"}}
	d := decide(newGrant(1, c), v, "GET", "/forums/threads", testNow, true)
	text := strings.Join(d.Explanation, " ")
	for _, want := range []string{`"ci"`, "GET /forums/threads", "forums.threads.readonly", "organisation no longer allows"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation %q does not mention %q", text, want)
		}
	}
}
