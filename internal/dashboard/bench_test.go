package dashboard

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchEnv is 2,000 groups, the first page's with a full sparkline's
// worth of history, and an operator's session.
func benchEnv(b *testing.B) (*env, *browser) {
	b.Helper()
	views := manyViews(2000)
	e := newEnv(b, views)
	e.history(sparkLimit, false, names(views[:pageSize])...)
	e.history(chartDecisions, true, "g1500")
	return e, e.login(operatorToken)
}

// benchPage measures the server's time to render path, without the
// network: the handler is called directly.
func benchPage(b *testing.B, path string) {
	e, br := benchEnv(b)
	h := e.srv.Config.Handler
	cookies := br.c.Jar.Cookies(mustURL(b, e.srv.URL))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}

func BenchmarkOverview2000(b *testing.B) { benchPage(b, "/") }

func BenchmarkGroupPage(b *testing.B) { benchPage(b, "/groups/g1500") }
