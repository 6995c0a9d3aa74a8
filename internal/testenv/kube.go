package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubeBinDir is where `make kube-testenv` builds kube-apiserver and etcd,
// relative to the repository root. A variable so that a test can point it
// at a directory without them.
var kubeBinDir = "scripts/testenv/kube/bin"

// kubeStartTimeout bounds each of etcd's and kube-apiserver's starts. The
// API server is ready in about 2.5 s on an idle machine (its post-start
// hooks create the RBAC bootstrap roles); the margin covers a CI machine
// compiling and running other packages' tests at the same time.
const kubeStartTimeout = 90 * time.Second

// KubeUser is the user name of KubeServer.UserToken: a user the API server
// knows but that no role grants anything, so that tests grant it exactly
// what Headroom's RBAC manifests grant and no more.
const KubeUser = "headroom"

// KubeServer is a Kubernetes API server (kube-apiserver over a
// one-member etcd, no controllers, no kubelets) on a loopback port.
// Nothing runs pods or updates a workload's status: a test plays those
// parts through the API.
type KubeServer struct {
	// Host is the server's URL, https://127.0.0.1:PORT.
	Host string
	// CAData is the PEM certificate the server serves with, self-signed:
	// the one certificate a client trusts.
	CAData []byte
	// AdminToken is a bearer token of a member of system:masters, whom
	// RBAC lets do anything. UserToken is KubeUser's.
	AdminToken, UserToken string
	// Kubeconfig is the path of a kubeconfig file with the contexts
	// "admin" (the current one) and "headroom", one for each token.
	Kubeconfig string
}

// kubeShared is the one server of a test binary: it is started by the
// first Kube call and stopped by RunKube after every test has run.
var kubeShared struct {
	mu      sync.Mutex
	main    bool
	started bool
	srv     *KubeServer
	err     error
	dir     string
	stops   []func() error
	outputs []*tailBuffer
}

// RunKube runs the tests of a package that calls Kube and then stops the
// shared server and removes its files. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunKube(m)) }
//
// A server outlives the test that started it (starting one takes seconds,
// so a test binary shares one), so no test's cleanup can stop it.
func RunKube(m *testing.M) int {
	kubeShared.mu.Lock()
	kubeShared.main = true
	kubeShared.mu.Unlock()
	code := m.Run()
	kubeShared.mu.Lock()
	defer kubeShared.mu.Unlock()
	for i := len(kubeShared.stops) - 1; i >= 0; i-- {
		if err := kubeShared.stops[i](); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop: %v\n", err)
			code = 1
		}
	}
	if kubeShared.dir != "" {
		os.RemoveAll(kubeShared.dir)
	}
	return code
}

// Kube returns the test binary's Kubernetes API server, starting it on
// first use. It needs kube-apiserver and etcd built by `make
// kube-testenv`: without them the test is skipped, except under CI (CI set
// in the environment), where it fails. The package's TestMain must call
// RunKube. Objects outlive the test that made them: a test works in a
// namespace of its own (see KubeNamespace).
func Kube(t testing.TB) *KubeServer {
	t.Helper()
	root := RepoRoot(t)
	bins := map[string]string{}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		bin := filepath.Join(root, kubeBinDir, name)
		if _, err := os.Stat(bin); err != nil {
			msg := fmt.Sprintf("%s is not built (%v): run `make kube-testenv` in the repository root (about 10 minutes)", name, err)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		bins[name] = bin
	}
	kubeShared.mu.Lock()
	defer kubeShared.mu.Unlock()
	if !kubeShared.main {
		t.Fatal("testenv.Kube needs the package's TestMain to call testenv.RunKube, which stops the shared server")
	}
	if !kubeShared.started {
		kubeShared.started = true
		kubeShared.srv, kubeShared.err = startKube(bins["etcd"], bins["kube-apiserver"])
		if kubeShared.err != nil {
			for _, b := range kubeShared.outputs {
				kubeShared.err = fmt.Errorf("%w\n%s", kubeShared.err, b)
			}
		}
	}
	if kubeShared.err != nil {
		t.Fatalf("start the Kubernetes API server: %v", kubeShared.err)
	}
	return kubeShared.srv
}

// KubeNamespace returns a fresh namespace name for t ("t-" and random hex):
// namespaces are never deleted (no namespace controller runs), so names
// must not repeat across tests of one server.
func KubeNamespace(t testing.TB) string {
	t.Helper()
	return "t-" + randHex(t, 6)
}

func randHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startKube starts etcd and then kube-apiserver over it. Called with
// kubeShared.mu held; it records each process's stop and output there.
func startKube(etcdBin, apiserverBin string) (*KubeServer, error) {
	dir, err := os.MkdirTemp("", "headroom-kube-")
	if err != nil {
		return nil, err
	}
	kubeShared.dir = dir
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	_, saKeyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	admin, user := token(), token()
	if admin == "" || user == "" {
		return nil, errors.New("no randomness for the tokens")
	}
	files := map[string][]byte{
		"serving.crt": certPEM,
		"serving.key": keyPEM,
		"sa.key":      saKeyPEM,
		// token,user,uid,"group,..." (kube-apiserver --token-auth-file).
		"tokens.csv": fmt.Appendf(nil, "%s,admin,admin,\"system:masters\"\n%s,%s,%s\n", admin, user, KubeUser, KubeUser),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}

	etcdAddr, err := startShared(etcdBin, func(port int) []string {
		peer, err := freePort()
		if err != nil {
			peer = port + 1
		}
		return []string{
			"-data-dir", filepath.Join(dir, "etcd"),
			"-client-url", "http://127.0.0.1:" + strconv.Itoa(port),
			"-peer-url", "http://127.0.0.1:" + strconv.Itoa(peer),
		}
	}, HTTPReady("/health"))
	if err != nil {
		return nil, err
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool},
	}}
	ready := func(ctx context.Context, addr string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/readyz", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /readyz: status %d", resp.StatusCode)
		}
		return nil
	}
	addr, err := startShared(apiserverBin, func(port int) []string {
		return []string{
			"--etcd-servers=http://" + etcdAddr,
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + filepath.Join(dir, "serving.crt"),
			"--tls-private-key-file=" + filepath.Join(dir, "serving.key"),
			"--cert-dir=" + filepath.Join(dir, "certs"),
			"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
			"--authorization-mode=RBAC",
			// The default reconciler writes the kubernetes Service's
			// endpoints and refuses a loopback advertise address; no
			// pod here reaches the API through that Service.
			"--endpoint-reconciler-type=none",
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + filepath.Join(dir, "sa.key"),
			"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
			"--service-cluster-ip-range=10.96.0.0/24",
			"--profiling=false",
		}
	}, ready)
	if err != nil {
		return nil, err
	}
	srv := &KubeServer{
		Host:       "https://" + addr,
		CAData:     certPEM,
		AdminToken: admin,
		UserToken:  user,
		Kubeconfig: filepath.Join(dir, "kubeconfig"),
	}
	if err := os.WriteFile(srv.Kubeconfig, srv.kubeconfig(), 0o600); err != nil {
		return nil, err
	}
	return srv, nil
}

// kubeconfig renders the server's kubeconfig file.
func (s *KubeServer) kubeconfig() []byte {
	ca := base64.StdEncoding.EncodeToString(s.CAData)
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n", s.Host, ca)
	fmt.Fprintf(&b, "users:\n- name: admin\n  user:\n    token: %s\n- name: %s\n  user:\n    token: %s\n", s.AdminToken, KubeUser, s.UserToken)
	fmt.Fprintf(&b, "contexts:\n- name: admin\n  context:\n    cluster: testenv\n    user: admin\n- name: %s\n  context:\n    cluster: testenv\n    user: %s\n", KubeUser, KubeUser)
	b.WriteString("current-context: admin\n")
	return []byte(b.String())
}

// startShared runs bin with args(port) on a free loopback port until
// ready answers, and records how to stop it. It retries when the process
// exits before it is ready (another process took the port).
func startShared(bin string, args func(port int) []string, ready func(context.Context, string) error) (string, error) {
	var lastErr error
	for range startTries {
		port, err := freePort()
		if err != nil {
			return "", err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		out := &tailBuffer{limit: outputLimit}
		cmd := exec.Command(bin, args(port)...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = sysProcAttr()
		if err := cmd.Start(); err != nil {
			return "", fmt.Errorf("run %s: %w", bin, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		err = waitReadyFor(addr, ready, done, kubeStartTimeout)
		if err == nil {
			kubeShared.outputs = append(kubeShared.outputs, out)
			kubeShared.stops = append(kubeShared.stops, func() error { return stop(cmd, done) })
			return addr, nil
		}
		stop(cmd, done)
		lastErr = fmt.Errorf("%s on %s: %w\n%s", filepath.Base(bin), addr, err, out)
		if !errors.Is(err, errExited) {
			break
		}
	}
	return "", lastErr
}

// token returns a random bearer token, "" if the system has no randomness.
func token() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}

// selfSigned returns a PEM certificate for 127.0.0.1 and localhost, signed
// by its own ECDSA P-256 key, and that key. It is its own CA: a client
// that trusts it verifies the server. Valid for a day: no test binary runs
// longer.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "headroom-testenv"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// waitReadyFor is waitReady with its own timeout: kube-apiserver takes
// longer to start than the node emulators startTimeout is set for.
func waitReadyFor(addr string, ready func(context.Context, string) error, done <-chan error, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		last = ready(ctx, addr)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case err := <-done:
			return fmt.Errorf("%w: %v", errExited, err)
		case <-deadline.C:
			return fmt.Errorf("not ready after %s: %w", timeout, last)
		case <-tick.C:
		}
	}
}
