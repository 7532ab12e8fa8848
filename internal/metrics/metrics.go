// Package metrics holds Scopekeeper's Prometheus metrics and serves them in the text format.
// Every other package records through the collectors here; routes are labelled by their ServeMux
// pattern (a bounded set), never by the raw path.
package metrics

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var registry = prometheus.NewRegistry()

func register[C prometheus.Collector](c C) C {
	registry.MustRegister(c)
	return c
}

var (
	requests = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scopekeeper_http_requests_total",
		Help: "HTTP requests by route (the ServeMux pattern) and status code.",
	}, []string{"route", "code"}))
	latency = register(prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "scopekeeper_http_request_duration_seconds",
		Help:    "Time from a request's arrival to its handler's return, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route"}))
	tokensIssued = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scopekeeper_tokens_issued_total",
		Help: "Access tokens issued, by grant type.",
	}, []string{"grant"}))
	decisions = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scopekeeper_access_decisions_total",
		Help: "Access-check decisions, by reason.",
	}, []string{"reason"}))
	cacheLookups = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scopekeeper_cache_lookups_total",
		Help: "Lookups in in-memory caches, by cache and result (hit, miss).",
	}, []string{"cache", "result"}))
	databaseErrors = register(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "scopekeeper_database_errors_total",
		Help: "Database operations that failed on the server's side (unavailable, disk full, …).",
	}))
	throttledVec = register(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scopekeeper_throttled_total",
		Help: "Requests refused with 429, by what was throttled (sign-in, token, password).",
	}, []string{"what"}))
)

func init() {
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves every metric in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
}

// LoopbackOnly serves h to callers on the loopback interface and answers 404 to everyone else,
// for /metrics on the main address when no separate metrics address is set.
func LoopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// routeMetrics are one route's collectors, looked up once.
type routeMetrics struct {
	latency prometheus.Observer
	codes   sync.Map // status code → prometheus.Counter
}

var routes sync.Map // pattern → *routeMetrics

func forRoute(pattern string) *routeMetrics {
	if m, ok := routes.Load(pattern); ok {
		return m.(*routeMetrics)
	}
	m, _ := routes.LoadOrStore(pattern, &routeMetrics{latency: latency.WithLabelValues(pattern)})
	return m.(*routeMetrics)
}

func (m *routeMetrics) count(route string, code int) {
	c, ok := m.codes.Load(code)
	if !ok {
		c, _ = m.codes.LoadOrStore(code, requests.WithLabelValues(route, strconv.Itoa(code)))
	}
	c.(prometheus.Counter).Inc()
}

// Middleware counts and times requests to mux by the pattern mux routed them to. It must wrap
// the ServeMux directly: the mux records the pattern on the request it is given.
func Middleware(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unrouted"
		}
		m := forRoute(route)
		m.latency.Observe(time.Since(start).Seconds())
		m.count(route, rec.status)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// labelled caches a CounterVec's children by their one label value, so that counting on a hot
// path is a map read and an atomic add.
type labelled struct {
	vec      *prometheus.CounterVec
	children sync.Map // label value → prometheus.Counter
}

func (l *labelled) inc(value string) {
	c, ok := l.children.Load(value)
	if !ok {
		c, _ = l.children.LoadOrStore(value, l.vec.WithLabelValues(value))
	}
	c.(prometheus.Counter).Inc()
}

var (
	issued    = &labelled{vec: tokensIssued}
	decided   = &labelled{vec: decisions}
	throttled = &labelled{vec: throttledVec}
	hits      = &labelled{vec: cacheLookups.MustCurryWith(prometheus.Labels{"result": "hit"})}
	misses    = &labelled{vec: cacheLookups.MustCurryWith(prometheus.Labels{"result": "miss"})}
)

// Issued counts an access token issued with grant.
func Issued(grant string) { issued.inc(grant) }

// Decided counts an access decision with its reason.
func Decided(reason string) { decided.inc(reason) }

// ThrottledRequest counts a 429 for what (sign_in, token, change_password).
func ThrottledRequest(what string) { throttled.inc(what) }

// CacheHit and CacheMiss count a lookup in the named cache.
func CacheHit(cache string)  { hits.inc(cache) }
func CacheMiss(cache string) { misses.inc(cache) }

// DatabaseError counts an operation that failed on the server's side, mostly in the database.
func DatabaseError() { databaseErrors.Inc() }
