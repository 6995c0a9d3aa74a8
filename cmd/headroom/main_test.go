package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
)

func runCLI(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "headroom.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommands(t *testing.T) {
	bad := writeFile(t, "interval: 0s\ngroups:\n  - asg: web\n    min: 5\n    max: 2\n    policies: []\n    bogus: 1\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "no command", args: nil, code: 2, stdout: []string{"usage: headroom"}},
		{name: "help", args: []string{"help"}, code: 0, stdout: []string{"serve", "validate", "explain", "emulator", "version"}},
		{name: "unknown", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"headroom dev"}},
		{name: "validate example", args: []string{"validate", "--config", "../../docs/examples/headroom.yaml"}, code: 0, stdout: []string{"valid"}},
		{name: "validate bad", args: []string{"validate", "--config", bad}, code: 1, stderr: []string{"bogus"}},
		{name: "validate missing flag", args: []string{"validate"}, code: 2, stderr: []string{"--config is required"}},
		{name: "validate missing file", args: []string{"validate", "--config", "/nonexistent/headroom.yaml"}, code: 1, stderr: []string{"/nonexistent/headroom.yaml"}},
		{name: "serve bad config", args: []string{"serve", "--config", bad}, code: exitConfig, stderr: []string{"invalid config", "bogus"}},
		{name: "serve missing config file", args: []string{"serve", "--config", "/nonexistent/headroom.yaml"}, code: exitConfig, stderr: []string{"/nonexistent/headroom.yaml"}},
		{name: "serve without config", args: []string{"serve"}, code: exitConfig, stderr: []string{"--config FILE (or --config-env NAME) is required"}},
		{name: "serve with both", args: []string{"serve", "--config", bad, "--config-env", "HEADROOM_CONFIG"}, code: exitConfig, stderr: []string{"not both"}},
		{name: "serve unset env", args: []string{"serve", "--config-env", "HEADROOM_TEST_UNSET_CONFIG"}, code: exitConfig, stderr: []string{"HEADROOM_TEST_UNSET_CONFIG", "not set"}},
		{name: "explain unknown group", args: []string{"explain", "--config", "../../docs/examples/headroom.yaml", "--group", "nope"}, code: 2, stderr: []string{`--group "nope"`}},
		{name: "bad flag", args: []string{"serve", "--nope"}, code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	bad := writeFile(t, `
interval: 10s
groups:
  - name: a
    asg: a
    min: 5
    max: 2
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}
          target: 0
`)
	code, _, stderr := runCLI(t, context.Background(), "validate", "--config", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"groups[0].max", "groups[0].policies[0].target_tracking.target"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeAgainstTheEmulator runs `headroom serve` as a user would, with the
// SDK pointed at the emulator through AWS_ENDPOINT_URL, and checks that it
// becomes ready, scales a group whose queue fills, explains without writing,
// and stops on cancellation.
func TestServeAgainstTheEmulator(t *testing.T) {
	em := emulator.StartTest(t, clock.Real())
	em.AutoScaling.SetLaunchTime(time.Second)
	t.Setenv("AWS_ENDPOINT_URL", em.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulator-secret")
	t.Setenv("AWS_REGION", emulator.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	ctx := context.Background()
	awsCfg := em.AWSConfig()
	if _, err := autoscaling.NewFromConfig(awsCfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(8), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatal(err)
	}
	if err := em.SQS.Enqueue("jobs", 600); err != nil {
		t.Fatal(err)
	}

	listen := freeAddr(t)
	cfgPath := writeFile(t, fmt.Sprintf(`
interval: 1s
jitter: 100ms
call_timeout: 900ms
listen: %q
store: {path: %q}
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
`, listen, filepath.Join(t.TempDir(), "headroom.db")))

	// explain reads once and writes nothing.
	code, stdout, stderr := runCLI(t, ctx, "explain", "--config", cfgPath, "--group", "workers")
	if code != 0 {
		t.Fatalf("explain exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{"decision: 6", "not acted on: dry_run", "queue"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}
	if n := em.Count(emulator.ServiceAutoScaling, "SetDesiredCapacity"); n != 0 {
		t.Fatalf("explain sent %d SetDesiredCapacity calls", n)
	}

	sctx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() { done <- run(sctx, []string{"serve", "--config", cfgPath}, &out, &errb) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		g, _ := em.AutoScaling.Group("workers")
		resp, err := http.Get("http://" + listen + "/readyz")
		ready := err == nil && resp.StatusCode == http.StatusOK
		if resp != nil {
			resp.Body.Close()
		}
		if ready && g.Desired == 6 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("serve did not become ready and scale to 6 (desired %d)\n%s", g.Desired, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`headroom_group_capacity_instances{group="workers",state="decided"} 6`, `headroom_aws_calls_total{code="OK",operation="SetDesiredCapacity",service="Auto Scaling"}`} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15 s of cancellation")
	}
	if !strings.Contains(errb.String(), `"msg":"decision"`) {
		t.Errorf("serve logged no decision line:\n%s", errb.String())
	}
}

// TestReadmeConfigValidates keeps the README's minimal config valid.
func TestReadmeConfigValidates(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	if !ok {
		t.Fatal("README has no yaml block")
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README's yaml block is not closed")
	}
	code, stdout, stderr := runCLI(t, context.Background(), "validate", "--config", writeFile(t, block))
	if code != 0 {
		t.Fatalf("README config does not validate (exit %d):\n%s%s", code, stdout, stderr)
	}
}
