package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"scopekeeper/internal/metrics"
)

// maxBody bounds the bodies of the token, introspection and revocation endpoints.
const maxBody = 16 << 10

// clientCreds are the client credentials a request presents.
type clientCreds struct {
	id, secret string
	basic      bool // sent as HTTP Basic (client_secret_basic)
}

// formRequest is a parsed application/x-www-form-urlencoded POST body of the token, introspection
// or revocation endpoint, with the client credentials taken out of it or the Authorization header.
type formRequest struct {
	params map[string]string
	creds  clientCreds
	// resource holds the values of the resource parameter, the one that may repeat (RFC 8707).
	resource []string
}

func (f *formRequest) get(k string) string { return f.params[k] }

func (f *formRequest) has(k string) bool { _, ok := f.params[k]; return ok }

// parseForm parses a token-style request (RFC 6749 §3.2, §2.3.1): a form body in which no
// parameter repeats, client credentials either as HTTP Basic (client_id and secret form-encoded
// before base64) or as client_id/client_secret parameters, never both.
func parseForm(authorization, contentType string, body []byte) (*formRequest, *oidc.Error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oidc.ErrInvalidRequest().WithDescription("Send the parameters as application/x-www-form-urlencoded in the request body.")
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("The request body is not valid form encoding.")
	}
	f := &formRequest{params: make(map[string]string, len(values))}
	for k, v := range values {
		if k == "resource" {
			f.resource = v
			continue
		}
		if len(v) > 1 {
			return nil, oidc.ErrInvalidRequest().WithDescription("The parameter %q is repeated; send each parameter once.", k)
		}
		f.params[k] = v[0]
	}
	if authorization != "" {
		scheme, cred, ok := strings.Cut(authorization, " ")
		if !ok || !strings.EqualFold(scheme, "Basic") {
			return nil, oidc.ErrInvalidClient().WithDescription("Authenticate the client with HTTP Basic or with client_id and client_secret in the body.")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("The Basic credentials are not valid base64.")
		}
		id, sec, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, oidc.ErrInvalidClient().WithDescription("The Basic credentials lack the ':' between client_id and secret.")
		}
		if id, err = url.QueryUnescape(id); err == nil {
			sec, err = url.QueryUnescape(sec)
		}
		if err != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("The Basic credentials are not form-encoded (RFC 6749 §2.3.1).")
		}
		if f.has("client_secret") {
			return nil, oidc.ErrInvalidRequest().WithDescription("Use one client authentication method: HTTP Basic or client_secret in the body, not both.")
		}
		if cid, ok := f.params["client_id"]; ok && cid != id {
			return nil, oidc.ErrInvalidRequest().WithDescription("client_id in the body differs from the one in HTTP Basic.")
		}
		f.creds = clientCreds{id: id, secret: sec, basic: true}
		return f, nil
	}
	f.creds = clientCreds{id: f.params["client_id"], secret: f.params["client_secret"]}
	return f, nil
}

// readForm reads and parses the body of r.
func readForm(w http.ResponseWriter, r *http.Request) (*formRequest, *oidc.Error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("The request body is too large or unreadable.")
	}
	return parseForm(r.Header.Get("Authorization"), r.Header.Get("Content-Type"), body)
}

// writeJSON answers with v and the no-store headers every token-style response carries.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeRawJSON answers with an already encoded JSON body and the no-store headers.
func writeRawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// wireError is the RFC 6749 §5.2 error body.
type wireError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeError answers with an RFC 6749 §5.2 error: 401 with WWW-Authenticate for invalid_client,
// 500 for server_error, 400 otherwise.
func writeError(w http.ResponseWriter, issuer string, e *oidc.Error) {
	status := http.StatusBadRequest
	switch e.ErrorType {
	case oidc.InvalidClient:
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="`+issuer+`", charset="UTF-8"`)
	case oidc.ServerError:
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, wireError{Error: string(e.ErrorType), Description: e.Description})
}

// serverError logs err and returns the error the client sees.
func serverError(ctx context.Context, what string, err error) *oidc.Error {
	if !errors.Is(err, context.Canceled) {
		metrics.DatabaseError()
		slog.ErrorContext(ctx, "oauth: "+what, "error", err)
	}
	return oidc.ErrServerError().WithDescription("Something went wrong on our side; try again.")
}

// notFoundIssuer answers a request for an organisation that does not exist.
func notFoundIssuer(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, wireError{Error: "not_found", Description: "There is no such issuer."})
}
