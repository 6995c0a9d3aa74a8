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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/bolt"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/telemetry"
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
	path := fs.String("config", "", "config file (YAML)")
	var lf logFlags
	fs.StringVar(&lf.format, "log-format", "json", "log format: json or text")
	fs.StringVar(&lf.level, "log-level", "info", "log level: debug, info, warn, error")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(*path, stderr)
	if cfg == nil {
		return code
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "headroom serve:", err)
		return 2
	}
	m := telemetry.NewMetrics()
	awsCfg, err := awsapi.Load(ctx, awsapi.Options{Region: cfg.Region, Observer: m, CallTimeout: cfg.CallTimeout.Std()})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if err := serve(ctx, cfg, awsCfg, clock.Real(), log, m); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
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

// serve runs the control loop, the admin API and the operational
// endpoints until ctx ends, then drains within shutdownGrace.
func serve(ctx context.Context, cfg *config.Config, awsCfg aws.Config, clk clock.Clock, log *slog.Logger, m *telemetry.Metrics) error {
	st, err := openStore(cfg, awsCfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return serveWith(ctx, daemon{cfg: cfg, awsCfg: awsCfg, clk: clk, log: log, m: m, store: st})
}

// daemon is what serveWith runs: the config, AWS, the clock, telemetry and
// an open store.
type daemon struct {
	cfg    *config.Config
	awsCfg aws.Config
	clk    clock.Clock
	log    *slog.Logger
	m      *telemetry.Metrics
	store  store.Store
	// ready, when set, receives the listener's address once serving.
	ready func(addr string)
}

// serveWith runs d until ctx ends.
func serveWith(ctx context.Context, d daemon) error {
	cfg, log := d.cfg, d.log
	leader := func() bool { return true }
	planner := &controller.StorePlanner{Store: d.store, Leader: leader, Log: log}
	ctrl, err := controller.NewAWS(cfg, d.awsCfg, controller.Deps{
		Clock: d.clk, Log: log, Telemetry: d.m, Planner: planner, Decisions: d.store, Leader: leader,
	}, controller.Options{Retention: store.Retention{Count: cfg.Store.Decisions.Keep, Age: cfg.Store.Decisions.MaxAge.Std()}})
	if err != nil {
		return err
	}
	tokens, err := apiTokens(cfg.API.Tokens)
	if err != nil {
		return err
	}
	handler, err := api.New(api.Options{
		Store: d.store, Fleet: ctrl, Tokens: tokens, Clock: d.clk, Log: log,
		Ready: func() error { return ctrl.Ready(d.clk.Now()) }, Registry: d.m.Registry,
	})
	if err != nil {
		return err
	}
	ctx, cancelLoop := context.WithCancel(ctx)
	defer cancelLoop()
	d.m.Leader.Set(1)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	log.Info("serving", "listen", ln.Addr().String(), "groups", len(cfg.Groups), "interval", cfg.Interval.String(),
		"store", cfg.Store.Backend, "api_tokens", len(tokens), "version", version)
	if len(tokens) == 0 {
		log.Warn("no api tokens configured: every /v1 request will be refused (see api.tokens and `headroom token hash`)")
	}
	if d.ready != nil {
		d.ready(ln.Addr().String())
	}

	loopErr := make(chan error, 1)
	go func() { loopErr <- ctrl.Run(ctx) }()

	select {
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	cancelLoop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = srv.Shutdown(sctx)
	select {
	case <-loopErr:
	case <-sctx.Done():
		log.Warn("control loop did not stop within the grace period")
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
