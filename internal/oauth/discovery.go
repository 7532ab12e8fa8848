package oauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"entgo.io/ent/dialect/sql"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/ent"
	"scopekeeper/ent/predicate"
	"scopekeeper/ent/scope"
)

// discoveryDoc is an organisation's discovery document, rendered at a revision (cache.docRevision).
type discoveryDoc struct {
	doc  func() (map[string]any, error) // for GraphQL's discoveryDocument, decoded when first asked
	body []byte
	etag string
	rev  uint64
}

// DiscoveryDocument is the RFC 8414 / OpenID Connect Discovery metadata of org's issuer, generated
// from the database: scopes_supported lists exactly the organisation's scopes that are shown in
// discovery and not deprecated, and the identity scopes, sorted.
func (p *Provider) DiscoveryDocument(ctx context.Context, org *ent.Organisation) (map[string]any, error) {
	d, err := p.discovery(ctx, p.orgInfo(org))
	if err != nil {
		return nil, err
	}
	return d.doc()
}

// discovery returns org's document at its current revision. The document is rendered once per
// revision: concurrent requests that miss wait for one rendering (single flight) rather than each
// reading the organisation's scopes. A request that joined a rendering begun before the revision
// it saw renders again, so a change is visible on the next request.
func (p *Provider) discovery(ctx context.Context, org *orgInfo) (*discoveryDoc, error) {
	docs := p.cache.orgDocs(org.ID)
	rev := p.cache.docRevision(org.ID)
	for {
		if d := docs.doc.Load(); d != nil && d.rev >= rev {
			return d, nil
		}
		v, err, _ := p.docFlights.Do(strconv.Itoa(org.ID), func() (any, error) {
			// Not bound to the request that happened to start it: others wait for it too.
			return p.renderDiscovery(context.WithoutCancel(ctx), org, docs)
		})
		if err != nil {
			return nil, err
		}
		if d := v.(*discoveryDoc); d.rev >= rev {
			return d, nil
		}
	}
}

// renderDiscovery renders org's document, stamped with the revision read before anything else.
// Its listed scopes are kept between renderings: only the scopes noted as changed since are read
// again, unless a change could not be pinned to scopes (or came from another server process),
// when all are.
func (p *Provider) renderDiscovery(ctx context.Context, org *orgInfo, docs *orgDocs) (*discoveryDoc, error) {
	docs.render.Lock()
	defer docs.render.Unlock()
	epoch := p.cache.docEpoch.Load()
	rev := epoch + docs.rev.Load()
	if d := docs.doc.Load(); d != nil && d.rev >= rev {
		return d, nil // rendered by the flight just before this one
	}
	ids, full := docs.take()
	l, err := docs.listing, error(nil)
	if full || l == nil || l.epoch != epoch {
		l, err = p.readListing(ctx, org.ID, epoch)
	} else if len(ids) > 0 {
		err = p.updateListing(ctx, org.ID, l, ids)
	}
	if err != nil {
		docs.note(ids, full) // for the next rendering
		return nil, err
	}
	docs.listing = l
	head, tail, err := discoveryFrame(org.Issuer)
	if err != nil {
		return nil, err
	}
	body := l.appendDocument(make([]byte, 0, len(head)+l.size+len(tail)+64), head, tail)
	d := &discoveryDoc{body: body, etag: etagOf(body), rev: rev}
	d.doc = sync.OnceValues(func() (map[string]any, error) {
		var doc map[string]any
		return doc, json.Unmarshal(body, &doc)
	})
	docs.doc.Store(d)
	return d, nil
}

// shown selects the scopes scopes_supported lists. Equalities rather than ent's bare boolean
// predicates (`show AND NOT deprecated`), so the covering index (organisation_id,
// show_in_discovery_document, deprecated, name) is searched on all three.
var shown = predicate.Scope(func(s *sql.Selector) {
	is := func(column string, v bool) *sql.Predicate {
		return sql.P(func(b *sql.Builder) { b.Ident(s.C(column)).WriteOp(sql.OpEQ).Arg(v) })
	}
	s.Where(sql.And(is(scope.FieldShowInDiscoveryDocument, true), is(scope.FieldDeprecated, false)))
})

// readListing reads all of an organisation's listed scopes: from the covering index alone on
// SQLite, whose index entries carry the row's ID.
func (p *Provider) readListing(ctx context.Context, orgID int, epoch uint64) (*listing, error) {
	var rows []listed
	err := p.client.Scope.Query().Where(shown).Select(scope.FieldID, scope.FieldName).Scan(sys(ctx, orgID), &rows)
	if err != nil {
		return nil, err
	}
	return newListing(epoch, rows), nil
}

// reReadBatch is how many changed scopes one statement reads again.
const reReadBatch = 500

// updateListing reads the scopes ids again (those of the organisation that still exist) and
// applies them to l.
func (p *Provider) updateListing(ctx context.Context, orgID int, l *listing, ids []int) error {
	var rows []*ent.Scope
	for chunk := range slices.Chunk(ids, reReadBatch) {
		got, err := p.client.Scope.Query().Where(scope.IDIn(chunk...)).
			Select(scope.FieldName, scope.FieldShowInDiscoveryDocument, scope.FieldDeprecated).All(sys(ctx, orgID))
		if err != nil {
			return err
		}
		rows = append(rows, got...)
	}
	l.apply(ids, rows)
	return nil
}

// discoveryFrame is an issuer's discovery document around its scopes_supported names: head ends
// with the array's `[`, tail starts with its `]`. Encoded once per rendering, compact: with tens
// of thousands of scopes, a detour through a map and an indented encoding cost several times the
// document.
func discoveryFrame(iss string) (head, tail []byte, err error) {
	cfg := oidc.DiscoveryConfiguration{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     iss + "/oauth/authorize",
		TokenEndpoint:                             iss + "/oauth/token",
		IntrospectionEndpoint:                     iss + "/oauth/introspect",
		RevocationEndpoint:                        iss + "/oauth/revoke",
		UserinfoEndpoint:                          iss + "/oauth/userinfo",
		EndSessionEndpoint:                        iss + "/oauth/logout",
		JwksURI:                                   iss + "/oauth/jwks",
		ScopesSupported:                           []string{"\x00"}, // where the names go
		ResponseTypesSupported:                    []string{string(oidc.ResponseTypeCode)},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{string(Algorithm)},
		TokenEndpointAuthMethodsSupported:         []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		RevocationEndpointAuthMethodsSupported:    []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone},
		IntrospectionEndpointAuthMethodsSupported: []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost},
		CodeChallengeMethodsSupported:             []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "amr",
			"name", "preferred_username", "updated_at", "email", "email_verified"},
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, err
	}
	head, tail, ok := bytes.Cut(raw, []byte(`"scopes_supported":["\u0000"]`))
	if !ok {
		return nil, nil, errors.New("discovery: scopes_supported not found in the encoded document")
	}
	tail = append([]byte("]"), tail[:len(tail)-1]...) // copied before head's append overwrites it
	head = append(head, `"scopes_supported":[`...)
	tail = append(tail, `,"authorization_response_iss_parameter_supported":true`...) // RFC 9207
	tail = append(tail, `,"prompt_values_supported":["none","login","consent","select_account"]`...)
	return head, append(tail, "}\n"...), nil
}

// handleDiscovery serves both well-known documents (they are the same).
func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request, org *orgInfo) {
	d, err := p.discovery(r.Context(), org)
	if err != nil {
		writeError(w, org.Issuer, serverError(r.Context(), "discovery document", err))
		return
	}
	publicCORS(w)
	// no-cache: caches keep the document but revalidate it (ETag) on every use, so a change to the
	// organisation's scopes is visible on the next request.
	writeCacheable(w, r, d.body, d.etag, noCache)
}

func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// serveCacheable answers with v as JSON, an ETag and cacheControl, or 304 when it matches.
func serveCacheable(w http.ResponseWriter, r *http.Request, v any, cacheControl []string) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	writeCacheable(w, r, body, etagOf(body), cacheControl)
}

// Header values the cacheable answers share: set into a response's header as they are (net/http
// copies a handler's header before writing it, and never changes a value in place), which saves
// an allocation per header and, for ETag, one for its name's canonical form.
var (
	noCache         = []string{"no-cache"}
	fiveMinutes     = []string{"public, max-age=300"}
	applicationJSON = []string{"application/json"}
)

func writeCacheable(w http.ResponseWriter, r *http.Request, body []byte, etag string, cacheControl []string) {
	h := w.Header()
	h["Etag"] = []string{etag}
	h["Cache-Control"] = cacheControl
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = applicationJSON
	// Known length: net/http then writes the answer whole, not as chunks and a last empty one.
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, _ = w.Write(body)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for c := range strings.SplitSeq(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == etag {
			return true
		}
	}
	return false
}
