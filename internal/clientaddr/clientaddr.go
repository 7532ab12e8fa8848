// Package clientaddr finds the address a request comes from when reverse proxies stand in front of
// the server (--trusted-proxies): throttling then counts clients, not the proxy.
package clientaddr

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the addresses of trusted reverse proxies.
type Proxies []netip.Prefix

// Parse reads a comma-separated list of addresses and CIDR prefixes, e.g. "10.0.0.0/8, ::1".
func Parse(list string) (Proxies, error) {
	var p Proxies
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR prefix, e.g. 10.0.0.0/8 or 192.0.2.7", s)
			}
			s = netip.PrefixFrom(a, a.BitLen()).String()
		}
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR prefix, e.g. 10.0.0.0/8 or 192.0.2.7", s)
		}
		p = append(p, pf.Masked())
	}
	return p, nil
}

func (p Proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pf := range p {
		if pf.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the client address of a request whose TCP peer is remoteAddr ("host:port") and
// whose X-Forwarded-For values are xff: walking from the peer back along the proxies' entries,
// the first address that is not a trusted proxy. An entry that does not parse stops the walk, so
// a client cannot hide behind garbage; without trusted proxies it is the peer.
func (p Proxies) Client(remoteAddr string, xff []string) netip.Addr {
	peer, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	client := peer.Addr().Unmap()
	if !p.trusted(client) {
		return client
	}
	entries := strings.Split(strings.Join(xff, ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(entries[i]), "[]"))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !p.trusted(client) {
			break
		}
	}
	return client
}

// Handler sets RemoteAddr of requests that trusted proxies forward to the client's address (with
// port 0), for everything downstream; with no trusted proxies it returns next itself.
func (p Proxies) Handler(next http.Handler) http.Handler {
	if len(p) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := p.Client(r.RemoteAddr, r.Header.Values("X-Forwarded-For")); c.IsValid() {
			r = r.WithContext(r.Context()) // a shallow copy: the caller's request stays as it was
			r.RemoteAddr = netip.AddrPortFrom(c, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}
