package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readiness reports nil when the process is ready to serve its purpose. A
// nil Readiness means always ready.
type Readiness func() error

// Ops returns the router for /healthz (the process is alive), /readyz (the
// control loop is working) and /metrics (Prometheus). New serves the same
// endpoints alongside the admin API.
func Ops(ready Readiness, reg *prometheus.Registry) chi.Router {
	r := chi.NewRouter()
	mountOps(r, ready, reg)
	return r
}

// mountOps adds /healthz, /readyz and /metrics to r; none needs a token.
func mountOps(r chi.Router, ready Readiness, reg *prometheus.Registry) {
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready == nil {
			_, _ = w.Write([]byte("ready\n"))
			return
		}
		if err := ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	r.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
}
