package configdoc

import (
	"reflect"
	"strings"
	"testing"
)

const sample = `version: scopekeeper/v1
organisation:
  name: Acme
  namingPolicy: DOTTED
apis:
  - name: forums
    basePath: /forums
    scopes:
      - name: forums.threads.readonly
    endpoints:
      - endpoint: GET /forums/threads
        scopes: [forums.threads.readonly]
clients:
  - name: worker
    kind: SERVICE
    scopes: [forums.threads.readonly]
`

func TestParseNamesWhatIsWrong(t *testing.T) {
	for src, want := range map[string]string{
		"version: [": "line 1",
		"version: scopekeeper/v2\norganisation: {name: A}\n":                                                                                                       "at /version",
		strings.Replace(sample, "kind: SERVICE", "kind: DAEMON", 1):                                                                                                "at /clients/0/kind",
		strings.Replace(sample, "basePath: /forums", "basePath: /forums\n    colour: red", 1):                                                                      "at /apis/0",
		strings.Replace(sample, "GET /forums/threads", "FETCH /forums/threads", 1):                                                                                 "at /apis/0/endpoints/0/endpoint",
		strings.Replace(sample, "- name: forums.threads.readonly", "- name: forums.threads.readonly\n        deprecated: true\n        sunsetAt: next tuesday", 1): "at /apis/0/scopes/0/sunsetAt",
	} {
		_, err := Parse([]byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.40q) = %v, want an error naming %q", src, err, want)
		}
	}
	d, err := Parse([]byte(sample))
	if err != nil || !*d.Clients[0].Enabled || !*d.APIs[0].Scopes[0].ShowInDiscoveryDocument || d.Organisation.MaxScopesPerClient != 10 {
		t.Fatalf("sample: %+v %v", d, err)
	}
}

// FuzzParse: any input either fails with an error or gives a document that survives Encode and
// Parse unchanged, in both formats.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"version":"scopekeeper/v1","organisation":{"name":"A"},"apis":[],"clients":[]}`))
	f.Add([]byte("version: scopekeeper/v1\norganisation: &a {name: A}\napis: *a\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse(src)
		if err != nil {
			return
		}
		for _, format := range []Format{YAML, JSON} {
			b, err := Encode(d, format)
			if err != nil {
				t.Fatalf("encode %s: %v", format, err)
			}
			again, err := Parse(b)
			if err != nil {
				t.Fatalf("parse of encoded %s: %v\n%s", format, err, b)
			}
			if !reflect.DeepEqual(d, again) {
				t.Fatalf("%s round trip differs:\n%+v\n%+v", format, d, again)
			}
		}
	})
}
