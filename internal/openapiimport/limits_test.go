package openapiimport

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A billion-laughs document (9^9 leaves from a few hundred bytes) and a deeply nested one are
// refused while being read, not expanded.
func TestExpandingDocumentsAreRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "x-a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("paths: {/a: {get: {responses: {'200': {description: ok}}}}}\n")
	nested := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"x-deep":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) +
		`,"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}`
	for name, doc := range map[string]string{"aliases": b.String(), "nesting": nested} {
		if _, err := Parse(context.Background(), []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
