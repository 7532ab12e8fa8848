package graph

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes the data it is given as it is; what it writes means what encoding/json
// would have written of the whole response, and its Content-Length is the length written.
func TestWriteResponseMeansWhatEncodingJSONWrites(t *testing.T) {
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":              {Data: json.RawMessage(`{"scopes":{"totalCount":2,"edges":[{"node":{"name":"a.read"}}]}}`)},
		"no data":           {},
		"no response":       nil,
		"errors, null data": {Errors: gqlerror.List{{Message: `a "quoted" message`, Extensions: map[string]any{"code": "FORBIDDEN", "data": nil}}}},
		"errors and data": {
			Errors: gqlerror.List{{Message: "partial", Path: ast.Path{ast.PathName("scopes")}}},
			Data:   json.RawMessage(`{"scopes":null}`),
		},
		"everything": {
			Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("x"), ast.PathIndex(0)}, HasNext: &yes,
			Extensions: map[string]any{"cost": 12},
		},
	} {
		rec := httptest.NewRecorder()
		writeResponse(rec, resp)
		got := rec.Body
		if n := rec.Header().Get("Content-Length"); n != strconv.Itoa(got.Len()) {
			t.Errorf("%s: Content-Length %s for %d bytes", name, n, got.Len())
		}
		if resp == nil {
			resp = &graphql.Response{}
		}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got.Bytes(), &g); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", name, err, got.Bytes())
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.Bytes(), want)
		}
	}
}
