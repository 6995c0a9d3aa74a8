package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/dashboard"
	"github.com/headroom-dev/headroom/internal/intake"
	"github.com/headroom-dev/headroom/internal/lease"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/telemetry"
	"github.com/headroom-dev/headroom/internal/text"
)

// shutdownGrace bounds how long serve takes to stop after SIGTERM.
const shutdownGrace = 10 * time.Second

// logFlags are the logging flags every long-running command takes.
type logFlags struct{ format, level string }

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	return telemetry.NewLogger(w, l.format, l.level)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "", "config file (YAML); SIGHUP reloads it")
	envName := fs.String("config-env", "", "read the config (YAML) from this environment variable instead of a file (for containers given it as a secret)")
	replica := fs.String("replica-id", "", "this replica's name in the lease, logs and AWS user agents; stable across restarts (default: see --replica-id-from)")
	replicaFrom := fs.String("replica-id-from", replicaFromAuto, "where the replica id comes from without --replica-id: auto (the ECS task when in one, else host), ecs (task metadata), ec2 (IMDSv2 instance id; asked only when named), host (host name and a hash of the store's file or table)")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (net/http/pprof, /debug/pprof/) on this address, apart from the API; empty: off. Bind it to loopback: profiles show the process's memory")
	var lf logFlags
	fs.StringVar(&lf.format, "log-format", "json", "log format: json or text")
	fs.StringVar(&lf.level, "log-level", "info", "log level: debug, info, warn, error")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	setGCPercent(os.LookupEnv)
	load, err := configSource(*path, *envName)
	if err != nil {
		fmt.Fprintln(stderr, "headroom serve:", err)
		return exitConfig
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "headroom serve: invalid config:\n%v\n", err)
		return exitConfig
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "headroom serve:", err)
		return 2
	}
	id, from, err := osIdentity().replicaID(ctx, *replica, *replicaFrom, cfg.Store)
	if err != nil {
		fmt.Fprintln(stderr, "headroom serve:", err)
		return 2
	}
	log.Info("replica id", "replica", id, "from", from)
	if *pprofAddr != "" {
		_, stop, err := startPprof(*pprofAddr, log)
		if err != nil {
			fmt.Fprintln(stderr, "headroom serve: --pprof:", err)
			return 2
		}
		defer stop()
	}
	m := telemetry.NewMetrics()
	awsCfg, err := awsapi.Load(ctx, awsapi.Options{Region: cfg.Region, Observer: m, CallTimeout: cfg.CallTimeout.Std(), MaxAttempts: cfg.AWS.MaxAttempts, AppID: "headroom-" + id, Log: log})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	err = serveWith(ctx, daemon{
		cfg: cfg, awsCfg: awsCfg, clk: clock.Real(), log: log, m: m, replica: id,
		reload: reload, load: load,
	})
	if err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
}

// defaultGCPercent is serve's GOGC unless the environment sets one. The
// daemon's live heap is small and steady (about 10 KB a group), while each
// cycle makes a lot of short-lived garbage: decoding the SDK's responses
// and building its requests costs about 75 KB a group a cycle. With Go's
// default of 100 the heap grows to twice the live heap before each
// collection, so that garbage, not the data, sets the peak footprint; at
// 50 it grows by half. A collection costs CPU in proportion to the live
// heap, which is small, so the cycle does not get slower (docs/operations.md
// has the figures). GOGC and GOMEMLIMIT in the environment still apply as
// the Go runtime documents them.
const defaultGCPercent = 50

// setGCPercent applies defaultGCPercent when the environment sets no GOGC.
func setGCPercent(lookup func(string) (string, bool)) {
	if _, ok := lookup("GOGC"); !ok {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// exitConfig is serve's exit status for a missing or invalid config:
// EX_CONFIG from sysexits.h, so that a service manager can tell it from a
// crash and not restart into the same error (systemd's
// RestartPreventExitStatus).
const exitConfig = 78

// configSource returns how serve reads its config: from the file at path,
// or from the environment variable envName; exactly one must be given.
func configSource(path, envName string) (func() (*config.Config, error), error) {
	switch {
	case path != "" && envName != "":
		return nil, errors.New("give --config or --config-env, not both")
	case envName != "":
		if _, ok := os.LookupEnv(envName); !ok {
			return nil, fmt.Errorf("--config-env %s: the variable is not set", envName)
		}
		return func() (*config.Config, error) {
			cfg, err := config.Parse([]byte(os.Getenv(envName)))
			if err != nil {
				return nil, fmt.Errorf("$%s: %w", envName, err)
			}
			return cfg, nil
		}, nil
	case path != "":
		return func() (*config.Config, error) {
			cfg, err := config.Load(path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return cfg, nil
		}, nil
	}
	return nil, errors.New("--config FILE (or --config-env NAME) is required")
}

// loadConfig loads and validates a config file; on failure it prints every
// problem and returns a nil config and the exit code.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	if path == "" {
		fmt.Fprintln(stderr, "--config is required")
		return nil, 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid config:\n%v\n", path, err)
		return nil, 1
	}
	return cfg, 0
}

// newController wires the AWS clients, sources, actuator and controller.
// An aws.Config already instrumented by awsapi is expected.
func newController(cfg *config.Config, awsCfg aws.Config, clk clock.Clock, log *slog.Logger, m *telemetry.Metrics, opts controller.Options) (*controller.Controller, error) {
	return controller.NewAWS(cfg, awsCfg, controller.Deps{Clock: clk, Log: log, Telemetry: m}, opts)
}

// openStore opens the store the config names. A bolt file held by another
// process is refused within bolt.LockTimeout with a message naming it.
func openStore(cfg *config.Config, awsCfg aws.Config) (store.Store, error) {
	switch cfg.Store.Backend {
	case config.BackendDynamoDB:
		return dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Store.Table), nil
	default:
		st, err := bolt.Open(cfg.Store.Path)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return st, nil
	}
}

// daemon is what serveWith runs.
type daemon struct {
	cfg    *config.Config
	awsCfg aws.Config
	clk    clock.Clock
	log    *slog.Logger
	m      *telemetry.Metrics
	// store, when set, is an open store (the demo's, a test's); otherwise
	// serveWith opens the config's, retrying with backoff.
	store store.Store
	// replica names this replica in the lease; empty means "headroom".
	replica string
	// reload, when it delivers, reloads the config with load (SIGHUP).
	reload <-chan struct{}
	load   func() (*config.Config, error)
	// ready, when set, receives the listener's address once serving.
	ready func(addr string)
}

// storeRetry bounds the backoff between attempts to open the store.
const (
	storeRetryMin = time.Second
	storeRetryMax = 30 * time.Second
)

// serveWith runs d until ctx ends: it listens at once (so /healthz and
// /readyz answer while it starts), opens the store with backoff, runs the
// leader lease and the control loop, reloads the config on d.reload, and
// on ctx's end drains within shutdownGrace: the cycle in flight is
// cancelled, the lease released, the listener shut and the store closed.
func serveWith(ctx context.Context, d daemon) error {
	cfg, log := d.cfg, d.log
	if d.replica == "" {
		d.replica = "headroom"
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	var status atomic.Value // string: why this replica is not ready yet
	status.Store("starting")
	var handler atomic.Pointer[http.Handler]
	starting := http.Handler(api.Ops(func() error { return errors.New(status.Load().(string)) }, d.m.Registry))
	handler.Store(&starting)
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	httpErr := make(chan error, 1)
	if cfg.API.TLS.Enabled() {
		tc, err := api.LoadTLS(cfg.API.TLS.CertFile, cfg.API.TLS.KeyFile, log)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("api.tls: %w", err)
		}
		srv.TLSConfig = tc
		go func() { httpErr <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { httpErr <- srv.Serve(ln) }()
	}
	log.Info("listening", "listen", ln.Addr().String(), "tls", cfg.API.TLS.Enabled(), "replica", d.replica, "version", version)
	if d.ready != nil {
		d.ready(ln.Addr().String())
	}
	shutdownHTTP := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}

	st := d.store
	if st == nil {
		st, err = openStoreWithBackoff(ctx, d, &status)
		if err != nil {
			shutdownHTTP()
			return err
		}
		if st == nil { // ctx ended while waiting
			shutdownHTTP()
			return nil
		}
		defer st.Close()
	}

	elector, err := lease.New(st, d.replica, d.clk, lease.Options{TTL: cfg.Lease.TTL.Std(), Log: log, Metrics: d.m})
	if err != nil {
		shutdownHTTP()
		return err
	}
	leaseCtx, stopLease := context.WithCancel(context.Background())
	leaseDone := make(chan struct{})
	go func() {
		defer close(leaseDone)
		_ = elector.Run(leaseCtx)
	}()
	defer func() {
		stopLease()
		<-leaseDone
	}()

	run, err := startLoop(ctx, d, cfg, st, elector, &handler)
	if err != nil {
		shutdownHTTP()
		return err
	}
	log.Info("serving", "groups", len(cfg.Groups), "interval", cfg.Interval.String(), "store", cfg.Store.Backend,
		"api_tokens", len(cfg.API.Tokens), "lease_ttl", cfg.Lease.TTL.String())

	for {
		select {
		case err = <-httpErr:
			err = fmt.Errorf("http server: %w", err)
		case <-ctx.Done():
		case <-d.reload:
			next, rerr := reloadConfig(d, cfg)
			if rerr != nil {
				log.Error("config reload refused; the running config stays", "err", rerr)
				continue
			}
			run.stop(shutdownGrace)
			if run, err = startLoop(ctx, d, next, st, elector, &handler); err != nil {
				log.Error("config reload failed; the running config stays", "err", err)
				if run, err = startLoop(ctx, d, cfg, st, elector, &handler); err != nil {
					break
				}
				continue
			}
			cfg = next
			log.Info("config reloaded", "groups", len(cfg.Groups), "interval", cfg.Interval.String(), "api_tokens", len(cfg.API.Tokens))
			continue
		}
		break
	}

	log.Info("shutting down")
	deadline := time.Now().Add(shutdownGrace)
	if run != nil && !run.stop(time.Until(deadline)-3*time.Second) {
		log.Warn("control loop did not stop within the grace period")
	}
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if rerr := elector.Release(rctx); rerr != nil {
		log.Warn("release lease", "err", rerr)
	}
	cancel()
	shutdownHTTP()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openStoreWithBackoff opens the config's store, and while it cannot,
// reports why on /readyz and tries again with exponential backoff. A bolt
// file held by another process is not retried: that is a second replica
// started by mistake, and it says so. It returns nil, nil when ctx ends.
func openStoreWithBackoff(ctx context.Context, d daemon, status *atomic.Value) (store.Store, error) {
	wait := storeRetryMin
	for {
		st, err := openStore(d.cfg, d.awsCfg)
		if p, ok := st.(interface{ Ping(context.Context) error }); ok && err == nil {
			pctx, cancel := context.WithTimeout(ctx, d.cfg.CallTimeout.Std())
			if err = p.Ping(pctx); err != nil {
				_ = st.Close()
				err = fmt.Errorf("store: %w", err)
			}
			cancel()
		}
		if err == nil {
			return st, nil
		}
		if errors.Is(err, bolt.ErrLocked) {
			return nil, err
		}
		status.Store(fmt.Sprintf("store unavailable: %v", err))
		d.log.Warn("store unavailable; retrying", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return nil, nil
		case <-d.clk.After(wait):
		}
		wait = min(2*wait, storeRetryMax)
	}
}

// loop is one running control loop and the API over it.
type loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// stop cancels the loop (its cycle in flight is cancelled) and waits up to
// grace for it; it reports whether the loop stopped.
func (l *loop) stop(grace time.Duration) bool {
	l.cancel()
	select {
	case <-l.done:
		return true
	case <-time.After(max(grace, 0)):
		return false
	}
}

// startLoop builds the controller and the API for cfg, installs the API
// and starts the loop.
func startLoop(ctx context.Context, d daemon, cfg *config.Config, st store.Store, elector *lease.Elector, handler *atomic.Pointer[http.Handler]) (*loop, error) {
	log := d.log
	planner := &controller.StorePlanner{Store: st, Leader: elector.Leader, Log: log}
	ctrl, err := controller.NewAWS(cfg, d.awsCfg, controller.Deps{
		Clock: d.clk, Log: log, Telemetry: d.m, Planner: planner, Decisions: st, History: st, Leader: elector.Leader, Acting: elector.Acting,
	}, controller.Options{Retention: store.Retention{Count: cfg.Store.Decisions.Keep, Age: cfg.Store.Decisions.MaxAge.Std()}})
	if err != nil {
		return nil, err
	}
	tokens, err := apiTokens(cfg.API.Tokens)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		log.Warn("no api tokens configured: every /v1 request will be refused (see api.tokens and `headroom token hash`)")
	}
	writeRate, err := cfg.API.WriteRate.Limit()
	if err != nil {
		return nil, fmt.Errorf("api.write_rate: %w", err)
	}
	authFailRate, err := cfg.API.AuthFailureRate.Limit()
	if err != nil {
		return nil, fmt.Errorf("api.auth_failure_rate: %w", err)
	}
	dash, err := dashboard.New(dashboard.Options{Tokens: tokens, Store: st, Clock: d.clk, Log: log})
	if err != nil {
		return nil, err
	}
	costs := map[string]float64{}
	for _, g := range cfg.Groups {
		if v, ok := g.UnitsPerMessage(); ok {
			costs[g.Name] = v
		}
	}
	a, err := api.New(api.Options{
		Store: st, Fleet: ctrl, Tokens: tokens, Clock: d.clk, Log: log,
		Ready: func() error { return ctrl.Ready(d.clk.Now()) }, Registry: d.m.Registry,
		WriteRate: writeRate, WriteBurst: cfg.API.WriteBurst, Dashboard: dash, Replays: d.m.IdempotentReplays,
		AuthFailureRate: authFailRate, AuthFailureBurst: cfg.API.AuthFailureBurst,
		Cycle: cfg.Interval.Std(), MaxBoostWindow: cfg.API.MaxBoostWindow.Std(), CampaignCosts: costs,
	})
	if err != nil {
		return nil, err
	}
	// The dashboard's forms go through the API's own handlers (auth,
	// validation, idempotency, audit, rate limit), which mount it.
	dash.SetAPI(a)
	h := withReadyz(a, func() (string, error) {
		if err := ctrl.Ready(d.clk.Now()); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("ready: follower %s (computes decisions, sends no writes)", elector.Holder())
		if token, ok := elector.Term(); ok && elector.Leader() {
			msg = fmt.Sprintf("ready: leader %s, term %d", elector.Holder(), token)
		}
		for _, w := range ctrl.Warnings() {
			msg += "\nwarning: " + text.Escape(w)
		}
		return msg, nil
	})
	var in *intake.Intake
	if q := cfg.Campaigns.QueueURL; q != "" {
		ci, err := api.NewCampaignIntake(api.Options{Store: st, Fleet: ctrl, Clock: d.clk, Log: log,
			Cycle: cfg.Interval.Std(), MaxBoostWindow: cfg.API.MaxBoostWindow.Std(), CampaignCosts: costs})
		if err != nil {
			return nil, err
		}
		if in, err = intake.New(intake.Options{QueueURL: q, SQS: sqs.NewFromConfig(d.awsCfg), Creator: ci,
			Leader: elector.Leader, Messages: d.m.CampaignMessages, Log: log, Clock: d.clk}); err != nil {
			return nil, err
		}
	}
	handler.Store(&h)
	lctx, cancel := context.WithCancel(ctx)
	l := &loop{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		var wg sync.WaitGroup
		if in != nil {
			wg.Go(func() { in.Run(lctx) })
		}
		_ = ctrl.Run(lctx)
		// The intake stops with the loop, whatever ended it.
		cancel()
		wg.Wait()
	}()
	return l, nil
}

// withReadyz answers /readyz with status (saying whether this replica
// leads) and passes everything else to h.
func withReadyz(h http.Handler, status func() (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		msg, err := status()
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		fmt.Fprintln(w, msg)
	})
}

// reloadConfig loads the config again for SIGHUP. It refuses a config with
// problems, and keeps the keys that need a restart (listen, store, lease)
// as they are, saying so.
func reloadConfig(d daemon, running *config.Config) (*config.Config, error) {
	if d.load == nil {
		return nil, errors.New("no config file to reload")
	}
	next, err := d.load()
	if err != nil {
		return nil, err
	}
	if next.Listen != running.Listen || next.Store != running.Store || next.Lease != running.Lease || next.API.TLS != running.API.TLS {
		d.log.Warn("config reload: listen, store, lease and api.tls take effect only on restart; keeping the running ones")
		next.Listen, next.Store, next.Lease, next.API.TLS = running.Listen, running.Store, running.Lease, running.API.TLS
	}
	return next, nil
}

// apiTokens converts the config's token hashes for the API.
func apiTokens(ts []config.Token) ([]api.Token, error) {
	out := make([]api.Token, 0, len(ts))
	for i, t := range ts {
		b, err := hex.DecodeString(t.SHA256)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("api.tokens[%d].sha256: not a SHA-256 hash", i)
		}
		tok := api.Token{Name: t.Name, Role: api.Role(t.Role)}
		copy(tok.SHA256[:], b)
		out = append(out, tok)
	}
	return out, nil
}
