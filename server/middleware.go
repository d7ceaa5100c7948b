package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/blindvault/blindvault/server/store"
)

// metrics are the server's Prometheus series, in a registry of its own so that
// several servers (tests) never collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	limited  *prometheus.CounterVec
	// guesses counts what the lockouts count: backup passphrase attempts and
	// second-factor codes, by outcome (docs/alerts.md).
	guesses *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindvault_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "blindvault_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route", "method"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindvault_rate_limited_total", Help: "Requests refused by a rate limit.",
		}, []string{"by"}),
		guesses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindvault_auth_attempts_total",
			Help: "Backup passphrase evaluations, backup releases and second-factor codes, by outcome.",
		}, []string{"kind", "outcome"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.limited, m.guesses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchCommits exports a store's group-commit figures, if it reports them:
// commit-busy seconds growing as fast as the clock times the committers mean
// the commits bound writes.
func (m *metrics) watchCommits(st store.Store) {
	cr, ok := st.(store.CommitReporter)
	if !ok {
		return
	}
	counter := func(name, help string, v func(store.CommitStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return v(cr.CommitStats()) })
	}
	m.reg.MustRegister(
		counter("blindvault_store_commits_total", "Durable store commits (one fsync each).",
			func(s store.CommitStats) float64 { return float64(s.Commits) }),
		counter("blindvault_store_commit_writes_total", "Write requests carried by those commits.",
			func(s store.CommitStats) float64 { return float64(s.Writes) }),
		counter("blindvault_store_commit_page_writes_total", "Pages written by those commits.",
			func(s store.CommitStats) float64 { return float64(s.PageWrites) }),
		counter("blindvault_store_commit_busy_seconds_total", "Time spent committing, fsync included, summed over the committers.",
			func(s store.CommitStats) float64 { return s.Busy.Seconds() }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blindvault_store_committers", Help: "How many commits this server may run at once."},
			func() float64 { return float64(cr.CommitStats().Committers) }),
	)
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: it recovers panics, applies the
// per-address rate limit, and records a log line and metrics for every request.
// Log lines carry the route template, never ids, tokens or bodies.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		sw := &statusWriter{ResponseWriter: w}
		route := "unmatched" // the router's match fills it in (noteRoute)
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route))
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				s.log.ErrorContext(r.Context(), "handler panic", "route", route, "panic", p)
				if sw.status == 0 {
					s.writeError(sw, r, errorf(http.StatusInternalServerError, "internal", "internal error"))
				}
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			s.metrics.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
			s.log.InfoContext(r.Context(), "request", "method", r.Method, "route", route, "status", sw.status, "ms", d.Milliseconds())
			if p == http.ErrAbortHandler {
				panic(p) // net/http closes the connection: a broken stream stays broken
			}
		}()
		if ok, wait := s.rateLimits().address.allow(r.Context(), clientKey(r, s.cfg.TrustedProxies), s.now()); !ok {
			// A request with a session past its address's limit is
			// its account's to pay for: one client's operation is not
			// stopped by the address it shares (ratelimit_allowance.go).
			charged, ok := s.chargeSession(r)
			if !ok {
				route = routeName(s.router, r) // refused before the router ran
				s.metrics.limited.WithLabelValues("address").Inc()
				tooMany(sw, wait)
				return
			}
			r = charged
		}
		next.ServeHTTP(sw, r)
	})
}

type routeKey struct{}

// noteRoute, a middleware of the router, tells observe which route matched:
// its path template, a bounded label.
func noteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := r.Context().Value(routeKey{}).(*string); ok {
			if t, err := mux.CurrentRoute(r).GetPathTemplate(); err == nil {
				*name = t
			}
		}
		next.ServeHTTP(w, r)
	})
}

// routeName is the route r would match, for a request refused before the
// router runs.
func routeName(router *mux.Router, r *http.Request) string {
	var m mux.RouteMatch
	if router.Match(r, &m) && m.Route != nil {
		if t, err := m.Route.GetPathTemplate(); err == nil {
			return t
		}
	}
	return "unmatched"
}
