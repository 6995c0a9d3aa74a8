package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
)

// fakeECS answers the task metadata endpoint's /task with arn.
func fakeECS(t *testing.T, arn string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/abc/task" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"Cluster":"prod","TaskARN":%q,"Family":"headroom"}`, arn)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v4/abc"
}

// fakeIMDS answers IMDSv2: a token from PUT /latest/api/token, and the
// instance id only to a GET carrying that token.
func fakeIMDS(t *testing.T, instance string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" && r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") != "":
			fmt.Fprint(w, "tok-123")
		case r.Method == http.MethodGet && r.URL.Path == "/latest/meta-data/instance-id":
			if r.Header.Get("X-aws-ec2-metadata-token") != "tok-123" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, instance)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestReplicaID(t *testing.T) {
	dir := t.TempDir()
	bolt := config.Store{Backend: config.BackendBolt, Path: filepath.Join(dir, "headroom.db")}
	otherBolt := config.Store{Backend: config.BackendBolt, Path: filepath.Join(dir, "other.db")}
	table := config.Store{Backend: config.BackendDynamoDB, Table: "headroom"}
	ecs := fakeECS(t, "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef")
	imds := fakeIMDS(t, "i-0abc1234def567890")
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	host := identity{getenv: func(string) string { return "" }, hostname: func() (string, error) { return "web 01.internal", nil }}
	hostID := host.host(bolt)

	tests := []struct {
		name     string
		env      map[string]string
		id, from string
		st       config.Store
		want     string
		wantFrom string
		wantErr  string
	}{
		{name: "flag wins", id: "replica-1", env: map[string]string{ecsMetadataEnv: ecs}, st: bolt, want: "replica-1", wantFrom: "flag"},
		{name: "flag checked", id: "bad id!", st: bolt, wantErr: `--replica-id "bad id!"`},
		{name: "ecs task in auto", env: map[string]string{ecsMetadataEnv: ecs}, st: table,
			want: "ecs-0123456789abcdef0123456789abcdef", wantFrom: "ecs"},
		{name: "ecs unreachable in auto falls back to the host", env: map[string]string{ecsMetadataEnv: dead.URL}, st: bolt,
			want: hostID, wantFrom: "host"},
		{name: "ecs asked for and unreachable", from: "ecs", env: map[string]string{ecsMetadataEnv: dead.URL}, st: bolt,
			wantErr: "--replica-id-from ecs: task metadata"},
		{name: "ecs asked for outside ECS", from: "ecs", st: bolt, wantErr: ecsMetadataEnv + " is not set"},
		{name: "auto does not ask IMDS", env: map[string]string{imdsEndpointEnv: imds}, st: bolt, want: hostID, wantFrom: "host"},
		{name: "ec2 instance id", from: "ec2", env: map[string]string{imdsEndpointEnv: imds}, st: bolt,
			want: "i-0abc1234def567890", wantFrom: "ec2"},
		{name: "ec2 asked for and unreachable", from: "ec2", env: map[string]string{imdsEndpointEnv: dead.URL}, st: bolt,
			wantErr: "--replica-id-from ec2: instance metadata token"},
		{name: "host", from: "host", env: map[string]string{ecsMetadataEnv: ecs}, st: bolt, want: hostID, wantFrom: "host"},
		{name: "unknown source", from: "k8s", st: bolt, wantErr: `--replica-id-from "k8s"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := identity{
				getenv:   func(k string) string { return tc.env[k] },
				hostname: host.hostname,
				client:   &http.Client{Timeout: 5 * time.Second},
			}
			got, from, err := r.replicaID(context.Background(), tc.id, tc.from, tc.st)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want || from != tc.wantFrom {
				t.Errorf("replica id = %q from %s, want %q from %s", got, from, tc.want, tc.wantFrom)
			}
			if !replicaIDRE.MatchString(got) {
				t.Errorf("replica id %q is not valid", got)
			}
		})
	}

	// The host id is stable for one state and differs between states.
	if !strings.HasPrefix(hostID, "web-01.internal-") || len(hostID) != len("web-01.internal-")+8 {
		t.Errorf("host id = %q, want web-01.internal-<8 hex digits>", hostID)
	}
	if host.host(bolt) != hostID {
		t.Error("host id changed between two calls")
	}
	if host.host(otherBolt) == hostID || host.host(table) == hostID {
		t.Error("host id is the same for different state")
	}
}

// TestRestartedReplicaLeadsAtOnce: `headroom serve` with a bolt store and no
// --replica-id is killed (SIGKILL: no release) and started again. The
// restart is the same replica and must lead at once, as /readyz says, not
// after its own dead predecessor's lease (here a minute) has run out.
func TestRestartedReplicaLeadsAtOnce(t *testing.T) {
	em := emulator.StartTest(t, clock.Real())
	if _, err := autoscaling.NewFromConfig(em.AWSConfig()).CreateAutoScalingGroup(context.Background(), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(8), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := em.SQS.CreateQueue("jobs", nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	listen := freeAddr(t)
	cfgPath := filepath.Join(dir, "headroom.yaml")
	doc := fmt.Sprintf(`
interval: 1s
jitter: 100ms
call_timeout: 900ms
listen: %q
store: {path: %q}
lease: {ttl: 60s}
groups:
  - {name: workers, asg: workers, min: 1, max: 8, policies: [{name: q, backlog: {acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}}]}
`, listen, filepath.Join(dir, "headroom.db"))
	if err := os.WriteFile(cfgPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HEADROOM_TEST_RUN_MAIN=1",
		"AWS_ENDPOINT_URL="+em.URL(), "AWS_ACCESS_KEY_ID=AKIDEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator-secret",
		"AWS_REGION="+emulator.Region, "AWS_CONFIG_FILE="+filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED=true", ecsMetadataEnv+"=")
	readyz := func() string {
		_, body := httpGet(t, "http://"+listen+"/readyz", "")
		return body
	}
	run := func() (*exec.Cmd, chan struct{}) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "serve", "--config", cfgPath, "--log-format", "text")
		cmd.Env = env
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				t.Log(sc.Text())
			}
			_ = cmd.Wait()
			close(done)
		}()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
		return cmd, done
	}

	first, done := run()
	waitFor(t, 20*time.Second, "the first process leads", func() bool { return strings.HasPrefix(readyz(), "ready: leader") })
	before := readyz()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done

	run()
	// A failure deadline well inside the minute the lease would last.
	waitFor(t, 20*time.Second, "the restarted process leads", func() bool { return strings.HasPrefix(readyz(), "ready: leader") })
	after := readyz()
	name := func(s string) string { return strings.TrimSuffix(strings.Fields(s)[2], ",") }
	if name(before) != name(after) {
		t.Errorf("replica id changed across the restart: %q, then %q", before, after)
	}
}
