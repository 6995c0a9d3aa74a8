package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

const reloadConfigDoc = `
interval: 1s
jitter: 100ms
call_timeout: 900ms
listen: %q
store: {path: %q}
api:
  tokens:
%s
groups:
  - name: workers
    asg: workers
    min: 1
    max: 8
    warmup: 0s
    policies:
      - name: queue
        backlog:
          mode: per_instance
          acceptable_latency: 100s
          queues:
            - queue: jobs
              seconds_per_message: 1
`

func httpGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeReloadsOnSIGHUP: a reload validates first and keeps the running
// config on error; a valid one takes effect (here: a new token works).
func TestServeReloadsOnSIGHUP(t *testing.T) {
	em := emulator.StartTest(t, clock.Real())
	ctx := context.Background()
	if _, err := autoscaling.NewFromConfig(em.AWSConfig()).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(8), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := em.SQS.CreateQueue("jobs", nil); err != nil {
		t.Fatal(err)
	}
	listen, db := freeAddr(t), filepath.Join(t.TempDir(), "headroom.db")
	path := filepath.Join(t.TempDir(), "headroom.yaml")
	write := func(doc string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tok := func(name, token string) string {
		return fmt.Sprintf("    - {name: %s, role: viewer, sha256: %s}", name, api.HashToken(token))
	}
	write(fmt.Sprintf(reloadConfigDoc, listen, db, tok("first", "token-one")))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m := telemetry.NewMetrics()
	awsCfg := em.AWSConfig()
	awsapi.Instrument(&awsCfg, m, cfg.CallTimeout.Std())
	reload := make(chan struct{})
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- serveWith(sctx, daemon{cfg: cfg, awsCfg: awsCfg, clk: clock.Real(), log: testLogger(t), m: m,
			reload: reload, load: func() (*config.Config, error) { return config.Load(path) }})
	}()
	base := "http://" + listen
	waitFor(t, 15*time.Second, "serve ready", func() bool { code, _ := httpGet(t, base+"/readyz", ""); return code == http.StatusOK })
	if code, _ := httpGet(t, base+"/v1/groups", "token-one"); code != http.StatusOK {
		t.Fatalf("first token: %d", code)
	}

	// A broken file is refused; the running config stays.
	write("interval: 0s\n")
	reload <- struct{}{}
	time.Sleep(300 * time.Millisecond) // let the refusal happen; the checks below hold either way
	if code, _ := httpGet(t, base+"/v1/groups", "token-one"); code != http.StatusOK {
		t.Errorf("after a refused reload the first token gets %d", code)
	}
	if code, body := httpGet(t, base+"/readyz", ""); code != http.StatusOK {
		t.Errorf("after a refused reload /readyz = %d %s", code, body)
	}

	// A valid file takes effect.
	write(fmt.Sprintf(reloadConfigDoc, listen, db, tok("first", "token-one")+"\n"+tok("second", "token-two")))
	reload <- struct{}{}
	waitFor(t, 10*time.Second, "the second token accepted", func() bool {
		code, _ := httpGet(t, base+"/v1/groups", "token-two")
		return code == http.StatusOK
	})
	waitFor(t, 10*time.Second, "ready after the reload", func() bool { code, _ := httpGet(t, base+"/readyz", ""); return code == http.StatusOK })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(shutdownGrace + 2*time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeWaitsForTheStore: a store that cannot be reached is reported on
// /readyz and retried; serve does not exit, and stops cleanly when told.
func TestServeWaitsForTheStore(t *testing.T) {
	listen := freeAddr(t)
	dead := freeAddr(t) // nothing listens there
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
interval: 1s
call_timeout: 900ms
listen: %q
store: {backend: dynamodb, table: headroom}
groups:
  - {name: workers, asg: workers, min: 1, max: 4, policies: [{name: q, backlog: {acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}}]}
`, listen)))
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://" + dead),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
		}), RetryMaxAttempts: 1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveWith(ctx, daemon{cfg: cfg, awsCfg: awsCfg, clk: clock.Real(), log: testLogger(t), m: telemetry.NewMetrics()})
	}()
	var body string
	waitFor(t, 15*time.Second, "/readyz reports the store", func() bool {
		var code int
		code, body = httpGet(t, "http://"+listen+"/readyz", "")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "store")
	})
	if code, _ := httpGet(t, "http://"+listen+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz = %d while waiting for the store, want 200", code)
	}
	select {
	case err := <-done:
		t.Fatalf("serve exited while the store was down: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv("HEADROOM_TEST_CONFIG", `
groups:
  - {name: workers, asg: workers, min: 1, max: 4, policies: [{name: q, backlog: {acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}}]}
`)
	load, err := configSource("", "HEADROOM_TEST_CONFIG")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := load()
	if err != nil || len(cfg.Groups) != 1 || cfg.Groups[0].Name != "workers" {
		t.Fatalf("config from the environment: %+v, %v", cfg, err)
	}
	t.Setenv("HEADROOM_TEST_CONFIG", "interval: 0s\n")
	if _, err := load(); err == nil || !strings.Contains(err.Error(), "$HEADROOM_TEST_CONFIG") || !strings.Contains(err.Error(), "interval") {
		t.Errorf("bad config from the environment: %v, want an error naming the variable and the field", err)
	}
}
