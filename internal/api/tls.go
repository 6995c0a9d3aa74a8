package api

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// LoadTLS returns the listener's TLS configuration: the key pair in
// certFile and keyFile (PEM; the certificate file may hold the chain),
// and TLS 1.2 at least. TLS 1.0 and 1.1 are refused: both are deprecated
// (RFC 8996) and AWS endpoints themselves require 1.2 or later ("TLS 1.2
// to become the minimum TLS protocol level for all AWS API endpoints",
// AWS Security Blog).
//
// The pair is read again at the first handshake after either file
// changes (modification time, size or identity), so a rotated certificate
// is served without a restart. A pair that fails to load then is logged
// on log and the previous one is kept; it is tried again when the files
// change again, which covers a rotation that writes the two files one
// after the other. A nil log means slog.Default.
//
// Serve with it by setting http.Server.TLSConfig and calling
// ServeTLS(listener, "", "").
func LoadTLS(certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	if log == nil {
		log = slog.Default()
	}
	k := &keyPair{certFile: certFile, keyFile: keyFile, log: log}
	if err := k.load(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: k.get,
	}, nil
}

// keyPair is the served certificate and the state of the files it was
// read from.
type keyPair struct {
	certFile, keyFile string
	log               *slog.Logger

	mu   sync.Mutex
	cert *tls.Certificate
	// seen is the files' state at the last load attempt, successful or
	// not, so that a broken pair is not re-read at every handshake.
	seen [2]os.FileInfo
}

// load reads the pair now, remembering the files' state.
func (k *keyPair) load() error {
	seen, err := k.stat()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS key pair %q and %q: %w", k.certFile, k.keyFile, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cert, k.seen = &cert, seen
	return nil
}

func (k *keyPair) stat() ([2]os.FileInfo, error) {
	var out [2]os.FileInfo
	for i, f := range []string{k.certFile, k.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return out, fmt.Errorf("TLS file %q: %w", f, err)
		}
		out[i] = fi
	}
	return out, nil
}

// get is tls.Config.GetCertificate: the current pair, re-read first when
// the files changed since the last attempt.
func (k *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now, err := k.stat()
	if err != nil {
		// A file briefly missing mid-rotation: keep serving the old pair.
		if k.seen[0] != nil {
			k.log.Error("TLS key pair not reloaded; serving the previous one", "cert_file", k.certFile, "key_file", k.keyFile, "err", err)
			k.seen = [2]os.FileInfo{}
		}
		return k.cert, nil
	}
	if k.seen[0] != nil && same(k.seen[0], now[0]) && same(k.seen[1], now[1]) {
		return k.cert, nil
	}
	k.seen = now
	cert, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		k.log.Error("TLS key pair not reloaded; serving the previous one", "cert_file", k.certFile, "key_file", k.keyFile, "err", err)
		return k.cert, nil
	}
	k.cert = &cert
	attrs := []any{"cert_file", k.certFile, "key_file", k.keyFile}
	if cert.Leaf != nil {
		attrs = append(attrs, "not_after", cert.Leaf.NotAfter)
	}
	k.log.Info("TLS key pair reloaded", attrs...)
	return k.cert, nil
}

// same reports whether a and b describe the same unchanged file.
func same(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.ModTime().Equal(b.ModTime()) && a.Size() == b.Size()
}
