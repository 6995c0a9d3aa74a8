package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TTLProxy stands in front of dynalite, which does not implement
// UpdateTimeToLive and always describes TTL as disabled: it answers both
// TTL operations from its own record and passes every other request on.
type TTLProxy struct {
	// URL is the proxy's endpoint.
	URL string
	mu  sync.Mutex
	// ttl is each table's TTL attribute, once enabled.
	ttl     map[string]string
	updates int
}

// DynaliteTTL starts dynalite behind a TTLProxy.
func DynaliteTTL(t testing.TB) *TTLProxy {
	t.Helper()
	return StartTTLProxy(t, Dynalite(t))
}

// StartTTLProxy starts a TTLProxy in front of the DynamoDB at target.
func StartTTLProxy(t testing.TB, target string) *TTLProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &TTLProxy{ttl: map[string]string{}}
	pass := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		if op != "UpdateTimeToLive" && op != "DescribeTimeToLive" {
			pass.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct {
			TableName               string
			TimeToLiveSpecification struct {
				AttributeName string
				Enabled       bool
			}
		}
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		p.mu.Lock()
		defer p.mu.Unlock()
		if op == "UpdateTimeToLive" {
			p.updates++
			p.ttl[in.TableName] = in.TimeToLiveSpecification.AttributeName
			fmt.Fprintf(w, `{"TimeToLiveSpecification":{"AttributeName":%q,"Enabled":true}}`, in.TimeToLiveSpecification.AttributeName)
			return
		}
		if attr, ok := p.ttl[in.TableName]; ok {
			fmt.Fprintf(w, `{"TimeToLiveDescription":{"TimeToLiveStatus":"ENABLED","AttributeName":%q}}`, attr)
			return
		}
		fmt.Fprint(w, `{"TimeToLiveDescription":{"TimeToLiveStatus":"DISABLED"}}`)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// State returns table's TTL attribute ("" while disabled) and how many
// UpdateTimeToLive calls the proxy has answered in all.
func (p *TTLProxy) State(table string) (attr string, updates int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ttl[table], p.updates
}
