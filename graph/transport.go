package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// post is the POST transport. It replaces gqlgen's, which reads a body of any size, answers a
// malformed one with an error that quotes the whole body (and so put it, passwords included, into
// responses and logs), and reaches the error presenter without an operation context (a panic).
// Here the body is read up to maxBody, a larger one is refused with 413 before any parsing, and no
// answer repeats what the caller sent.
type post struct{ maxBody int64 }

func (post) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mediaType == "application/json"
}

func (t post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	ctx := graphql.WithOperationContext(r.Context(), &graphql.OperationContext{})
	start := graphql.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
	if err != nil {
		status, msg := http.StatusBadRequest, "The request body could not be read."
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			status, msg = http.StatusRequestEntityTooLarge, "The request body is larger than this server accepts; send a smaller operation."
		}
		refuse(w, status, errcode.ParseFailed, msg)
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		refuse(w, http.StatusBadRequest, errcode.ParseFailed,
			`The request body is not a GraphQL request in JSON, e.g. {"query":"{ viewer { user { email } } }","variables":{}}.`)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	oc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, oc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	writeResponse(w, responses(ctx))
}

func refuse(w http.ResponseWriter, status int, code, msg string) {
	w.WriteHeader(status)
	writeResponse(w, &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}})
}

// writeResponse writes resp as JSON. Its data, JSON already (from the executor or the response
// cache), is written as it is, after the other members: encoding/json would check and compact it
// again (half the CPU of a cached Scopes-tab answer), and copying it into one buffer would make
// garbage of its size on every answer. With its length known, net/http sends it unchunked.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil {
		resp = &graphql.Response{} // no answer from the executor: {"data":null}
	}
	head, err := json.Marshal(responseHead{Response: resp})
	if err != nil {
		_, _ = w.Write([]byte(`{"errors":[{"message":"Something went wrong on our side.","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`))
		return
	}
	data := resp.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	head = head[:len(head)-1] // without its closing brace
	if len(head) > len("{") {
		head = append(head, ',')
	}
	head = append(head, `"data":`...)
	if rw, ok := w.(http.ResponseWriter); ok {
		rw.Header()["Content-Length"] = []string{strconv.Itoa(len(head) + len(data) + 1)}
	}
	_, _ = w.Write(head)
	_, _ = w.Write(data)
	_, _ = w.Write(closingBrace)
}

var closingBrace = []byte("}")

// responseHead is a response without its data: the field hides graphql.Response's.
type responseHead struct {
	*graphql.Response
	Data *struct{} `json:"data,omitempty"`
}
