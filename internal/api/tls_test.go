package api

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyFiles is a certificate and key pair on disk.
type keyFiles struct {
	cert, key string
}

func newKeyFiles(t *testing.T) keyFiles {
	t.Helper()
	dir := t.TempDir()
	return keyFiles{cert: filepath.Join(dir, "tls.crt"), key: filepath.Join(dir, "tls.key")}
}

// selfSigned makes a P-256 certificate for 127.0.0.1 named cn, valid for
// a day around now.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), cert
}

// write replaces path's content and stamps it with mtime, so that a
// change is seen whatever the file system's timestamp granularity.
func write(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// issue writes a new pair named cn to f and returns its certificate.
func (f keyFiles) issue(t *testing.T, cn string, mtime time.Time) *x509.Certificate {
	t.Helper()
	c, k, cert := selfSigned(t, cn)
	write(t, f.cert, c, mtime)
	write(t, f.key, k, mtime)
	return cert
}

// lockedBuffer is a log sink the server's handshakes and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveTLS serves h over HTTPS with cfg as the daemon does
// (http.Server.TLSConfig and ServeTLS with no files) and returns its
// base URL.
func serveTLS(t *testing.T, h http.Handler, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second,
		// Refused handshakes are expected here; keep them out of the output.
		ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return "https://" + ln.Addr().String()
}

// tlsClient trusts roots and speaks TLS versions min to max; every
// request makes a new connection, so every request is a handshake.
func tlsClient(roots []*x509.Certificate, minVersion, maxVersion uint16) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: minVersion, MaxVersion: maxVersion},
	}}
}

// get fetches url and returns the status, the body and the certificate
// the server presented.
func get(t *testing.T, c *http.Client, url string) (int, string, *x509.Certificate, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, err
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		t.Fatalf("GET %s: not over TLS", url)
	}
	return resp.StatusCode, string(b), resp.TLS.PeerCertificates[0], nil
}

func TestLoadTLSServes(t *testing.T) {
	f := newKeyFiles(t)
	cert := f.issue(t, "headroom", time.Now())
	cfg, err := LoadTLS(f.cert, f.key, nil)
	if err != nil {
		t.Fatalf("LoadTLS: %v", err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %#x, want TLS 1.2", cfg.MinVersion)
	}
	url := serveTLS(t, newEnv(t).srv.Config.Handler, cfg) + "/healthz"
	_, _, stranger := selfSigned(t, "stranger")

	tests := []struct {
		name     string
		client   *http.Client
		wantErr  string
		wantBody string
	}{
		{name: "trusting client, default versions", client: tlsClient([]*x509.Certificate{cert}, 0, 0), wantBody: "ok"},
		{name: "TLS 1.2 only client", client: tlsClient([]*x509.Certificate{cert}, tls.VersionTLS12, tls.VersionTLS12), wantBody: "ok"},
		{name: "TLS 1.3 only client", client: tlsClient([]*x509.Certificate{cert}, tls.VersionTLS13, tls.VersionTLS13), wantBody: "ok"},
		{name: "TLS 1.1 only client is refused", client: tlsClient([]*x509.Certificate{cert}, tls.VersionTLS10, tls.VersionTLS11), wantErr: "protocol version"},
		{name: "client trusting another certificate", client: tlsClient([]*x509.Certificate{stranger}, 0, 0), wantErr: "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _, err := get(t, tc.client, url)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("GET = %d %q, %v; want an error mentioning %q", status, body, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			if status != http.StatusOK || !strings.Contains(body, tc.wantBody) {
				t.Errorf("GET = %d %q, want 200 %q", status, body, tc.wantBody)
			}
		})
	}
}

func TestLoadTLSErrors(t *testing.T) {
	f := newKeyFiles(t)
	f.issue(t, "a", time.Now())
	g := newKeyFiles(t)
	g.issue(t, "b", time.Now())
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	write(t, garbage, []byte("not a PEM file"), time.Now())
	missing := filepath.Join(t.TempDir(), "missing.pem")

	tests := []struct {
		name      string
		cert, key string
		want      string
	}{
		{name: "missing certificate", cert: missing, key: f.key, want: missing},
		{name: "missing key", cert: f.cert, key: missing, want: missing},
		{name: "garbage certificate", cert: garbage, key: f.key, want: garbage},
		{name: "key of another certificate", cert: f.cert, key: g.key, want: "private key does not match"},
		{name: "files swapped", cert: f.key, key: f.cert, want: f.key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadTLS(tc.cert, tc.key, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadTLS = %v, %v; want an error mentioning %q", cfg, err, tc.want)
			}
		})
	}
}

func TestLoadTLSReloads(t *testing.T) {
	f := newKeyFiles(t)
	base := time.Now().Add(-time.Hour)
	first := f.issue(t, "first", base)
	var logs lockedBuffer
	cfg, err := LoadTLS(f.cert, f.key, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("LoadTLS: %v", err)
	}
	url := serveTLS(t, newEnv(t).srv.Config.Handler, cfg) + "/healthz"

	// Every certificate issued so far is trusted, so that the test sees
	// which one is served rather than a verification failure.
	var trusted []*x509.Certificate
	var served *x509.Certificate
	trust := func(c *x509.Certificate) *x509.Certificate { trusted = append(trusted, c); return c }
	trust(first)
	var nextCert, nextKey []byte
	var next *x509.Certificate

	// The steps run in order against one server.
	steps := []struct {
		name    string
		change  func(t *testing.T)
		want    func() *x509.Certificate
		wantLog string
	}{
		{name: "serves the loaded pair", change: func(*testing.T) {}, want: func() *x509.Certificate { return first }},
		{name: "unchanged files are not re-read", change: func(t *testing.T) {
			// Same file, size and mtime with other content: a reload would
			// fail and be logged.
			fi, err := os.Stat(f.cert)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f.cert, bytes.Repeat([]byte("x"), int(fi.Size())), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f.cert, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, want: func() *x509.Certificate { return first }},
		{name: "a rotated pair is served", change: func(t *testing.T) {
			served = trust(f.issue(t, "second", base.Add(time.Minute)))
		}, want: func() *x509.Certificate { return served }, wantLog: "TLS key pair reloaded"},
		{name: "a broken certificate keeps the previous pair", change: func(t *testing.T) {
			write(t, f.cert, []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), base.Add(2*time.Minute))
		}, want: func() *x509.Certificate { return served }, wantLog: "not reloaded"},
		{name: "a missing file keeps the previous pair", change: func(t *testing.T) {
			if err := os.Remove(f.key); err != nil {
				t.Fatal(err)
			}
		}, want: func() *x509.Certificate { return served }, wantLog: "no such file"},
		{name: "half a rotation: new certificate, old key", change: func(t *testing.T) {
			nextCert, nextKey, next = selfSigned(t, "third")
			trust(next)
			write(t, f.cert, nextCert, base.Add(3*time.Minute))
			write(t, f.key, []byte("-----BEGIN EC PRIVATE KEY-----\nold\n"), base.Add(3*time.Minute))
		}, want: func() *x509.Certificate { return served }, wantLog: "not reloaded"},
		{name: "the rotation completes with the key", change: func(t *testing.T) {
			write(t, f.key, nextKey, base.Add(4*time.Minute))
		}, want: func() *x509.Certificate { return next }, wantLog: "TLS key pair reloaded"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(logs.String())
			st.change(t)
			status, _, got, err := get(t, tlsClient(trusted, 0, 0), url)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			if status != http.StatusOK {
				t.Errorf("status %d, want 200", status)
			}
			if want := st.want(); !got.Equal(want) {
				t.Errorf("served %q, want %q", got.Subject.CommonName, want.Subject.CommonName)
			}
			logged := logs.String()[before:]
			if st.wantLog == "" && logged != "" {
				t.Errorf("logged %q, want nothing", logged)
			}
			if !strings.Contains(logged, st.wantLog) {
				t.Errorf("logged %q, want %q", logged, st.wantLog)
			}
		})
	}
}
