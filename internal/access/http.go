package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"scopekeeper/ent"
	"scopekeeper/ent/oauthclient"
	"scopekeeper/internal/credential"
	"scopekeeper/internal/metrics"
	"scopekeeper/internal/orgs"
	"scopekeeper/internal/secret"
	"scopekeeper/internal/viewer"
)

// MaxBatch is the most requests one POST /v1/check may carry.
const MaxBatch = 100

const maxBody = 1 << 20

// Register adds POST /o/{slug}/v1/check and forward auth, /o/{slug}/v1/forward-auth[/…] for
// every method, to mux.
func (e *Engine) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /o/{slug}/v1/check", e.ServeCheck)
	mux.HandleFunc("/o/{slug}/v1/forward-auth", e.ServeForwardAuth)
	mux.HandleFunc("/o/{slug}/v1/forward-auth/", e.ServeForwardAuth)
}

// checkBody is the request of POST /v1/check: one request, or a batch under "requests".
type checkBody struct {
	Credential *string    `json:"credential"`
	Method     string     `json:"method"`
	Path       string     `json:"path"`
	Requests   *[]Request `json:"requests"`
}

const (
	exampleSingle = `{"credential":"ska_…","method":"GET","path":"/forums/threads/42"}`
	exampleBatch  = `{"credential":"skk_…","requests":[{"method":"GET","path":"/forums/threads"},{"method":"POST","path":"/forums/threads"}]}`
)

// ServeCheck handles POST /o/{slug}/v1/check. The caller authenticates as a confidential client
// of the organisation with HTTP Basic (client_id and client_secret, form-encoded as in RFC 6749
// §2.3.1). The answer is {"allowed","scope","reason"} (plus "exp", the credential's expiry in Unix
// seconds, when it has one, and "aud", a token's audience, RFC 8707), or for a batch {"allowed","results":[…]}, allowed only when every
// request is.
func (e *Engine) ServeCheck(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	orgID, err := e.orgBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		if ent.IsNotFound(err) {
			writeError(w, http.StatusNotFound, "not_found", "There is no organisation "+strconv.Quote(r.PathValue("slug"))+".")
			return
		}
		serverError(w, r, err)
		return
	}
	ok, err := e.authenticateClient(r.Context(), orgID, r)
	if err != nil {
		serverError(w, r, err)
		return
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="scopekeeper", charset="UTF-8"`)
		writeError(w, http.StatusUnauthorized, "invalid_client",
			"Authenticate as a client of this organisation with HTTP Basic: its client_id and client_secret.")
		return
	}
	var body checkBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "The body must be a JSON object, e.g. "+exampleSingle+" ("+jsonProblem(err)+").")
		return
	}
	if msg := body.problem(); msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	reqs := []Request{{Method: body.Method, Path: body.Path}}
	if body.Requests != nil {
		reqs = *body.Requests
	}
	ds, g, err := e.decideAll(r.Context(), orgID, *body.Credential, reqs, false)
	if err != nil {
		serverError(w, r, err)
		return
	}
	if g.cred.Active && g.cred.Kind == credential.APIKey && e.opts.Touch != nil {
		e.opts.Touch(g.cred.ID) // batched: no write per check
	}
	buf := make([]byte, 0, 128)
	if body.Requests == nil {
		buf = appendDecision(buf, &ds[0])
	} else {
		all := true
		for i := range ds {
			all = all && ds[i].Allowed
		}
		buf = append(buf, `{"allowed":`...)
		buf = strconv.AppendBool(buf, all)
		buf = append(buf, `,"results":[`...)
		for i := range ds {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendDecision(buf, &ds[i])
		}
		buf = append(buf, "]}"...)
	}
	buf = append(buf, '\n')
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf)
}

// problem names the first missing or contradictory field, with an example.
func (b *checkBody) problem() string {
	switch {
	case b.Credential == nil || *b.Credential == "":
		return `The field "credential" is required: the access token or API key to check, e.g. ` + exampleSingle + "."
	case b.Requests != nil && (b.Method != "" || b.Path != ""):
		return `Send either "method" and "path", or "requests", not both, e.g. ` + exampleBatch + "."
	case b.Requests != nil && len(*b.Requests) == 0:
		return `The field "requests" must list at least one {"method","path"}, e.g. ` + exampleBatch + "."
	case b.Requests != nil && len(*b.Requests) > MaxBatch:
		return `The field "requests" may list at most ` + strconv.Itoa(MaxBatch) + " requests; split the batch."
	case b.Requests == nil && b.Method == "":
		return `The field "method" is required, e.g. ` + exampleSingle + "."
	case b.Requests == nil && b.Path == "":
		return `The field "path" is required, e.g. ` + exampleSingle + "."
	}
	if b.Requests != nil {
		for i, r := range *b.Requests {
			if r.Method == "" || r.Path == "" {
				field := "method"
				if r.Method != "" {
					field = "path"
				}
				return `The field "requests[` + strconv.Itoa(i) + `].` + field + `" is required, e.g. ` + exampleBatch + "."
			}
		}
	}
	return ""
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return "the field " + strconv.Quote(typeErr.Field) + " must be a JSON " + typeErr.Type.Kind().String()
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return "the body is larger than 1 MiB"
	}
	return err.Error()
}

// appendDecision writes {"allowed","scope","reason"[,"exp"]}. Scope names are RFC 6749
// scope-tokens and reasons are constants: neither needs escaping.
func appendDecision(buf []byte, d *Decision) []byte {
	buf = append(buf, `{"allowed":`...)
	buf = strconv.AppendBool(buf, d.Allowed)
	buf = append(buf, `,"scope":`...)
	if d.Scope == "" {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendQuote(buf, d.Scope)
	}
	buf = append(buf, `,"reason":"`...)
	buf = append(buf, d.Reason...)
	buf = append(buf, '"')
	if d.Allowed && !d.ExpiresAt.IsZero() {
		buf = append(buf, `,"exp":`...)
		buf = strconv.AppendInt(buf, d.ExpiresAt.Unix(), 10)
	}
	if d.Allowed && len(d.Audience) > 0 {
		// Identifiers are absolute URIs of printable ASCII without quotes or backslashes
		// (resource.Check), which strconv quotes as JSON would.
		buf = append(buf, `,"aud":[`...)
		for i, a := range d.Audience {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendQuote(buf, a)
		}
		buf = append(buf, ']')
	}
	return append(buf, '}')
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(map[string]string{"error": code, "error_description": description})
	_, _ = w.Write(buf.Bytes())
}

func serverError(w http.ResponseWriter, r *http.Request, err error) {
	metrics.DatabaseError()
	slog.ErrorContext(r.Context(), "access: check", "error", err)
	writeError(w, http.StatusInternalServerError, "server_error", "Something went wrong on our side; try again.")
}

// orgBySlug finds the organisation of an issuer URL; slugs never change, so it is cached.
func (e *Engine) orgBySlug(ctx context.Context, slug string) (int, error) {
	if id, ok := e.slugs.Load(slug); ok {
		return id.(int), nil
	}
	org, err := orgs.BySlug(ctx, e.client, slug)
	if err != nil {
		return 0, err
	}
	e.slugs.Store(slug, org.ID)
	return org.ID, nil
}

// checkClient is a client as authentication needs it, cached per organisation until its grants
// change (a client's secret, state or existence is a change to the OAuthClient entity).
type checkClient struct {
	stamp uint64
	hash  []byte // nil: no such confidential, enabled client
}

// authenticateClient checks the request's HTTP Basic credentials against the organisation's
// enabled confidential clients; a client of another organisation is not found.
func (e *Engine) authenticateClient(ctx context.Context, orgID int, r *http.Request) (bool, error) {
	id, sec, ok := r.BasicAuth()
	if !ok {
		return false, nil
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(sec); err == nil {
		sec = v
	}
	s := e.org(orgID)
	stamp := e.grantStamp(s)
	s.mu.RLock()
	c := s.clients[id]
	s.mu.RUnlock()
	if c == nil || c.stamp != stamp {
		row, err := e.client.OAuthClient.Query().Where(oauthclient.ClientID(id)).Only(viewer.SystemContext(ctx, orgID))
		switch {
		case ent.IsNotFound(err):
			c = &checkClient{stamp: stamp}
		case err != nil:
			return false, err
		default:
			c = &checkClient{stamp: stamp}
			if row.Enabled && row.Kind != oauthclient.KindBROWSER && len(row.SecretHash) > 0 {
				c.hash = row.SecretHash
			}
		}
		s.mu.Lock()
		if len(s.clients) >= maxCachedClients {
			s.clients = map[string]*checkClient{}
		}
		s.clients[id] = c
		s.mu.Unlock()
	}
	return c.hash != nil && secret.Matches(sec, c.hash), nil
}
