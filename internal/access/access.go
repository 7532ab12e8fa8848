// Package access is Scopekeeper's decision engine: may this access token or API key call
// METHOD PATH of one of the organisation's APIs (contract section 5, rules 8 to 10)? It answers
// POST {issuer}/v1/check and the admin API's explainAccess with the same decision.
//
// Each organisation's endpoints are compiled into an in-memory path-template tree; resolved
// credentials are cached too. Both are stamped with per-organisation versions that an ent hook
// (Engine.Hook) bumps after every committed change to APIs, endpoints, scopes, clients, keys,
// tokens, users or the organisation, so a decision made after a change was acknowledged never uses
// what was read before it. Every change is also counted in the database (Revision), in the same
// transaction, and Sync (run every Watch interval) applies other server processes' changes, so
// several processes can share one database: each sees another's change within that interval.
//
// Matching: a request matches the most specific template, comparing segment by segment, where a
// literal segment beats a {param}; among templates it considers only those with an endpoint for
// the request's method. A HEAD request matches a HEAD endpoint, else the GET endpoint of the same
// template. Methods are compared upper-cased; paths case-sensitively, after dropping the query,
// decoding percent-escaped unreserved characters and refusing empty and dot segments.
package access

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"scopekeeper/ent"
	"scopekeeper/ent/endpoint"
	"scopekeeper/ent/scope"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/deprecation"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/txstate"
	"scopekeeper/internal/usage"
	"scopekeeper/internal/viewer"
)

// Limits of the in-memory caches per organisation; a full cache starts over.
const (
	maxCachedCredentials = 100_000
	maxCachedClients     = 10_000
	loadPage             = 5_000
)

// Options tune an Engine.
type Options struct {
	// Touch records that an API key was used (through POST /v1/check); nil records nothing.
	// (*auth.Service).Touch batches the writes.
	Touch func(keyID int)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Usage, when set, notes which scope allowed each decided request (the access review);
	// explanations are not use.
	Usage *usage.Recorder
	// Changed is called when Sync finds changes made by another server process, with the
	// organisations they were in (0: outside any), so other caches of this process can drop what
	// they read of them before; nil calls nothing.
	Changed func(orgIDs []int)
}

// Engine decides access for every organisation of one database.
type Engine struct {
	client *ent.Client
	opts   Options

	configEpoch, grantsEpoch atomic.Uint64
	syncMu                   sync.Mutex
	seen                     map[int]seenRevision      // by organisation ID, as Sync last read them
	own                      map[int]map[ownValue]bool // by organisation ID: values this process's commits gave its counters (by syncMu)
	mu                       sync.RWMutex
	orgs                     map[int]*orgState
	slugs                    sync.Map // slug → organisation ID (slugs never change)
	txs                      txstate.Map[*txChange]
}

// New returns an Engine reading through client. Install its hook on the same client with
// client.Use(engine.Hook()) before serving, or changes will not be seen.
func New(client *ent.Client, opts Options) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{client: client, opts: opts, orgs: map[int]*orgState{}, seen: map[int]seenRevision{}, own: map[int]map[ownValue]bool{}}
}

// Decide answers whether credential may call METHOD PATH in organisation orgID.
func (e *Engine) Decide(ctx context.Context, orgID int, cred, method, path string) (Decision, error) {
	ds, _, err := e.decideAll(ctx, orgID, cred, []Request{{Method: method, Path: path}}, false)
	if err != nil {
		return Decision{}, err
	}
	return ds[0], nil
}

// Request is one METHOD PATH to decide.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// DecideBatch decides several requests of one credential against one view of the organisation.
func (e *Engine) DecideBatch(ctx context.Context, orgID int, cred string, reqs []Request) ([]Decision, error) {
	ds, _, err := e.decideAll(ctx, orgID, cred, reqs, false)
	return ds, err
}

func (e *Engine) decideAll(ctx context.Context, orgID int, cred string, reqs []Request, explain bool) ([]Decision, *grant, error) {
	s := e.org(orgID)
	g, err := e.credential(ctx, s, orgID, cred)
	if err != nil {
		return nil, nil, err
	}
	var v *view
	if g.cred.Active {
		if v, err = e.view(ctx, s, orgID); err != nil {
			return nil, nil, err
		}
	}
	now := e.opts.Now()
	out := make([]Decision, len(reqs))
	for i, r := range reqs {
		out[i] = decide(g, v, r.Method, r.Path, now, explain)
		metrics.Decided(out[i].Reason)
		if d := &out[i]; d.scopeID != 0 && !explain && e.opts.Usage != nil {
			e.noteUse(orgID, g.cred, d.scopeID, now)
		}
	}
	return out, g, nil
}

// noteUse records that scope allowed a request of c.
func (e *Engine) noteUse(orgID int, c *credential.Credential, scope int, at time.Time) {
	switch {
	case c.Kind == credential.APIKey:
		e.opts.Usage.Used(orgID, usage.APIKey, c.ID, scope, at)
	case c.Client != nil:
		e.opts.Usage.Used(orgID, usage.Client, c.Client.ID, scope, at)
	}
}

// view returns the organisation's compiled matcher, compiling it when a change made it stale.
func (e *Engine) view(ctx context.Context, s *orgState, orgID int) (*view, error) {
	if v := s.view.Load(); v != nil && v.stamp == e.configStamp(s) {
		return v, nil
	}
	s.build.Lock()
	defer s.build.Unlock()
	stamp := e.configStamp(s) // read before the database, see version.go
	if v := s.view.Load(); v != nil && v.stamp == stamp {
		return v, nil
	}
	eps, scopes, err := e.load(context.WithoutCancel(ctx), orgID)
	if err != nil {
		return nil, err
	}
	v := compile(stamp, eps, scopes)
	s.view.Store(v)
	return v, nil
}

// load reads what the matcher is compiled from: the scopes with their endpoint links, a page of
// scopes per query (the join table is indexed by scope first), then every endpoint in one query.
func (e *Engine) load(ctx context.Context, orgID int) ([]EndpointSpec, []ScopeSpec, error) {
	sys := viewer.SystemContext(ctx, orgID)
	var scopes []ScopeSpec
	links := map[int][]int{} // endpoint → scopes
	last := 0
	for {
		page, err := e.client.Scope.Query().Where(scope.IDGT(last)).Order(scope.ByID()).Limit(loadPage).
			Select(scope.FieldID, scope.FieldName, scope.FieldAPIID).
			WithEndpoints(func(q *ent.EndpointQuery) { q.Select(endpoint.FieldID) }).All(sys)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range page {
			scopes = append(scopes, ScopeSpec{ID: s.ID, Name: s.Name, APIID: s.APIID})
			for _, ep := range s.Edges.Endpoints {
				links[ep.ID] = append(links[ep.ID], s.ID)
			}
			last = s.ID
		}
		if len(page) < loadPage {
			break
		}
	}
	rows, err := e.client.Endpoint.Query().
		Select(endpoint.FieldID, endpoint.FieldAPIID, endpoint.FieldMethod, endpoint.FieldPath).All(sys)
	if err != nil {
		return nil, nil, err
	}
	eps := make([]EndpointSpec, len(rows))
	for i, p := range rows {
		eps[i] = EndpointSpec{ID: p.ID, APIID: p.APIID, Method: string(p.Method), Path: p.Path, ScopeIDs: links[p.ID]}
	}
	return eps, scopes, nil
}

// credential resolves a presented value through credential.Resolve, cached until the
// organisation's grants change or a scope it grants reaches its sunset. Unknown values are not cached: issuing a token changes nothing
// that would tell the cache.
func (e *Engine) credential(ctx context.Context, s *orgState, orgID int, value string) (*grant, error) {
	key := sha256.Sum256([]byte(value))
	stamp := e.grantStamp(s) // read before the database, see version.go
	now := e.opts.Now()
	s.mu.RLock()
	g := s.creds[key]
	s.mu.RUnlock()
	// A resolution is stale from the next sunset of a scope it grants, with no write to tell.
	if g != nil && g.stamp == stamp && deprecation.Valid(g.cred.Until, now) {
		metrics.CacheHit("access_credentials")
		return g, nil
	}
	metrics.CacheMiss("access_credentials")
	c, err := credential.Resolve(ctx, e.client, orgID, value, now)
	if err != nil {
		return nil, err
	}
	g = newGrant(stamp, c)
	if c.Reason != credential.ReasonUnknown {
		s.mu.Lock()
		if len(s.creds) >= maxCachedCredentials {
			s.creds = map[[32]byte]*grant{}
		}
		s.creds[key] = g
		s.mu.Unlock()
	}
	return g, nil
}
