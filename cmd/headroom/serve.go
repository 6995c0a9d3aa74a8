package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/controller"
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

// serve runs the control loop and the operational HTTP endpoints until ctx
// ends, then drains within shutdownGrace.
func serve(ctx context.Context, cfg *config.Config, awsCfg aws.Config, clk clock.Clock, log *slog.Logger, m *telemetry.Metrics) error {
	return serveWith(ctx, cfg, awsCfg, clk, log, m, nil)
}

// serveWith is serve with a planner of boosts and overrides (nil: none).
func serveWith(ctx context.Context, cfg *config.Config, awsCfg aws.Config, clk clock.Clock, log *slog.Logger, m *telemetry.Metrics, planner controller.Planner) error {
	ctrl, err := controller.NewAWS(cfg, awsCfg, controller.Deps{Clock: clk, Log: log, Telemetry: m, Planner: planner}, controller.Options{})
	if err != nil {
		return err
	}
	ctx, cancelLoop := context.WithCancel(ctx)
	defer cancelLoop()
	m.Leader.Set(1)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           api.Ops(func() error { return ctrl.Ready(clk.Now()) }, m.Registry),
		ReadHeaderTimeout: 10 * time.Second,
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	log.Info("serving", "listen", ln.Addr().String(), "groups", len(cfg.Groups), "interval", cfg.Interval.String(), "version", version)

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
