package clientaddr

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClient(t *testing.T) {
	p, err := Parse("10.0.0.0/8, 192.0.2.7 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},               // not a proxy: its header is ignored
		{"192.0.2.7:4000", []string{"198.51.100.1"}, "198.51.100.1"},                // one proxy
		{"10.1.1.1:1", []string{"6.6.6.6, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"}, // a spoofed left entry is ignored
		{"10.1.1.1:1", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},         // several header lines
		{"10.1.1.1:1", []string{"junk, 10.3.3.3"}, "10.3.3.3"},                      // garbage stops the walk
		{"10.1.1.1:1", nil, "10.1.1.1"},
		{"[::1]:1", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"[::ffff:192.0.2.7]:1", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		if got := p.Client(c.peer, c.xff); got.String() != c.want {
			t.Errorf("Client(%q, %q) = %v, want %s", c.peer, c.xff, got, c.want)
		}
	}
	if _, err := Parse("10.0.0.0/8,nope"); err == nil || !strings.Contains(err.Error(), "e.g.") {
		t.Errorf("Parse(nope) = %v", err)
	}
}

func TestHandler(t *testing.T) {
	var seen string
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })
	p, _ := Parse("192.0.2.7")
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	p.Handler(h).ServeHTTP(httptest.NewRecorder(), r)
	if seen != "198.51.100.1:0" || r.RemoteAddr != "192.0.2.7:5555" {
		t.Fatalf("downstream saw %q; the caller's request now has %q", seen, r.RemoteAddr)
	}
	if Proxies(nil).Handler(h) == nil {
		t.Fatal("no handler without proxies")
	}
}

// FuzzClient: whatever the header holds, the answer is the peer or one of the header's addresses.
func FuzzClient(f *testing.F) {
	f.Add("10.1.1.1:1", "6.6.6.6, 198.51.100.1")
	f.Add("[::1]:2", "[2001:db8::1], junk,,")
	f.Add("x", "")
	p, _ := Parse("10.0.0.0/8,::1")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		c := p.Client(peer, []string{xff})
		if !c.IsValid() {
			return
		}
		if pa, err := netip.ParseAddrPort(peer); err == nil && pa.Addr().Unmap() == c {
			return
		}
		for _, e := range strings.Split(xff, ",") {
			if a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(e), "[]")); err == nil && a.Unmap() == c {
				return
			}
		}
		t.Fatalf("Client(%q, %q) = %v, from neither", peer, xff, c)
	})
}
