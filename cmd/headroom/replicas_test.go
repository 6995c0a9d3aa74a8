package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/testenv"
)

// replicasTTL is the lease TTL of TestTwoReplicas: short in CI, so that
// five failovers take seconds; `-replicas.ttl 15s` measures the default.
var replicasTTL = flag.Duration("replicas.ttl", 3*time.Second, "lease TTL of TestTwoReplicas")

// replica is one `headroom serve` process of the two-replica test.
type replica struct {
	id   string
	addr string
	cmd  *exec.Cmd
	done chan error

	mu     sync.Mutex
	lines  []string
	termAt time.Time // when it logged that it became the leader
}

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func (r *replica) becameLeader() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.termAt
}

// readyz returns the replica's /readyz body ("" when it does not answer).
func (r *replica) readyz() string {
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (r *replica) leads() bool { return strings.HasPrefix(r.readyz(), "ready: leader") }

// replicaSet runs serve processes sharing one emulator and one DynamoDB.
type replicaSet struct {
	t      *testing.T
	em     *emulator.Server
	env    []string
	config string // with %s for listen
	n      int
	all    []*replica
}

func (s *replicaSet) start() *replica {
	s.t.Helper()
	s.n++
	id := fmt.Sprintf("replica-%d", s.n)
	r := &replica{id: id, addr: freeAddr(s.t), done: make(chan error, 1)}
	cfgPath := filepath.Join(s.t.TempDir(), id+".yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(s.config, r.addr)), 0o600); err != nil {
		s.t.Fatal(err)
	}
	r.cmd = exec.Command(os.Args[0], "serve", "--config", cfgPath, "--replica-id", id, "--log-format", "json")
	r.cmd.Env = append(append(os.Environ(), "HEADROOM_TEST_RUN_MAIN=1"), s.env...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var rec struct {
				Time time.Time `json:"time"`
				Msg  string    `json:"msg"`
			}
			_ = json.Unmarshal([]byte(line), &rec)
			r.mu.Lock()
			r.lines = append(r.lines, line)
			if rec.Msg == "became leader" && r.termAt.IsZero() {
				r.termAt = rec.Time
			}
			r.mu.Unlock()
		}
		r.done <- r.cmd.Wait()
	}()
	s.all = append(s.all, r)
	s.t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		if s.t.Failed() {
			s.t.Logf("%s log:\n%s", r.id, r.log())
		}
	})
	return r
}

// waitFor polls cond every 20 ms for up to limit and returns how long it took.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestTwoReplicas runs two serve processes on one DynamoDB (dynalite) and
// one emulator. The leader is killed with SIGKILL during a surge, five
// times; each time the other must lead within the lease TTL plus one cycle
// and bring the group to the capacity the surge needs. Then the leader gets
// SIGTERM: it must release the lease and exit within 10 s, and the follower
// lead at once. Throughout, the emulator's record of writes must show no
// two replicas writing in overlapping lease terms.
func TestTwoReplicas(t *testing.T) {
	const (
		interval = time.Second
		kills    = 5
	)
	ttl := *replicasTTL
	em := emulator.StartTest(t, clock.Real())
	em.AutoScaling.SetLaunchTime(500 * time.Millisecond)
	ctx := context.Background()
	awsCfg := em.AWSConfig()
	asgClient := autoscaling.NewFromConfig(awsCfg)
	if _, err := asgClient.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(40), DesiredCapacity: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatal(err)
	}
	dynamoURL := testenv.Dynalite(t)
	table := "headroom-replicas"
	ddb := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(dynamoURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if err := dynamo.New(ddb, table).CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	set := &replicaSet{t: t, em: em,
		env: []string{
			"AWS_ENDPOINT_URL=" + em.URL(), "AWS_ENDPOINT_URL_DYNAMODB=" + dynamoURL,
			"AWS_ACCESS_KEY_ID=AKIDEMULATOR", "AWS_SECRET_ACCESS_KEY=emulator-secret", "AWS_REGION=" + emulator.Region,
			"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
			"AWS_EC2_METADATA_DISABLED=true",
		},
		config: `
interval: 1s
jitter: 100ms
call_timeout: 900ms
listen: %q
store: {backend: dynamodb, table: ` + table + `}
lease: {ttl: ` + ttl.String() + `}
groups:
  - name: workers
    asg: workers
    min: 1
    max: 40
    warmup: 0s
    policies:
      - name: queue
        backlog:
          mode: per_instance
          acceptable_latency: 10s
          queues:
            - queue: jobs
              seconds_per_message: 1
`,
	}
	a, b := set.start(), set.start()
	waitFor(t, 20*time.Second, "a leader", func() bool { return a.leads() || b.leads() })
	leader, follower := a, b
	if b.leads() {
		leader, follower = b, a
	}
	waitFor(t, 10*time.Second, "the follower ready", func() bool { return strings.HasPrefix(follower.readyz(), "ready: follower") })

	var failovers []time.Duration
	kill := map[string]time.Time{}
	for k := 1; k <= kills; k++ {
		// A surge: 60 more messages need 6 more instances (10 a piece).
		if err := em.SQS.Enqueue("jobs", 60); err != nil {
			t.Fatal(err)
		}
		need := 6 * k
		time.Sleep(interval / 2) // mid-surge: the leader has seen it or is about to
		killedAt := time.Now()
		if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		kill[leader.id] = killedAt
		took := waitFor(t, ttl+interval+5*time.Second, fmt.Sprintf("kill %d: %s leads", k, follower.id), follower.leads)
		failovers = append(failovers, took)
		if took > ttl+interval+time.Second {
			t.Errorf("kill %d: takeover took %s, want within the TTL (%s) plus one cycle", k, took.Round(time.Millisecond), ttl)
		}
		waitFor(t, 10*time.Second, fmt.Sprintf("kill %d: desired %d", k, need), func() bool {
			g, _ := em.AutoScaling.Group("workers")
			return g.Desired >= need
		})
		<-leader.done
		leader, follower = follower, set.start()
		waitFor(t, 10*time.Second, "the new follower ready", func() bool { return strings.HasPrefix(follower.readyz(), "ready: follower") })
	}
	slices.Sort(failovers)
	t.Logf("failover over %d SIGKILLs (lease TTL %s, cycle %s): median %s, worst %s, all %v",
		len(failovers), ttl, interval, failovers[len(failovers)/2].Round(time.Millisecond), failovers[len(failovers)-1].Round(time.Millisecond), failovers)

	// SIGTERM: the leader drains, releases and exits within 10 s; the
	// follower leads at once rather than after the TTL.
	termAt := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-leader.done:
		if err != nil {
			t.Errorf("%s after SIGTERM: %v", leader.id, err)
		}
		if took := time.Since(termAt); took > 10*time.Second {
			t.Errorf("%s took %s to exit after SIGTERM, want under 10 s", leader.id, took)
		}
	case <-time.After(12 * time.Second):
		t.Fatalf("%s did not exit within 12 s of SIGTERM", leader.id)
	}
	kill[leader.id] = time.Now()
	if !strings.Contains(leader.log(), `"lease released"`) {
		t.Errorf("%s did not log that it released the lease", leader.id)
	}
	took := waitFor(t, ttl+5*time.Second, "the follower leads after SIGTERM", follower.leads)
	t.Logf("takeover after SIGTERM: %s", took.Round(time.Millisecond))
	if took > ttl {
		t.Errorf("takeover after a graceful release took %s, want less than the TTL (%s)", took, ttl)
	}

	// From the emulator's record: every write by a replica falls inside its
	// own term (from when it became leader to its death), and the writers
	// never interleave.
	writes := map[string]bool{"SetDesiredCapacity": true, "UpdateAutoScalingGroup": true, "PutScheduledUpdateGroupAction": true, "DeleteScheduledAction": true}
	var order []string
	n := 0
	for _, c := range em.Calls() {
		if !writes[c.Operation] || c.Status >= 300 {
			continue
		}
		var who *replica
		for _, r := range set.all {
			if slices.Contains(strings.Fields(c.UserAgent), "app/headroom-"+r.id) {
				who = r
			}
		}
		if who == nil {
			continue // the test's own set-up calls
		}
		n++
		start := who.becameLeader()
		end, dead := kill[who.id]
		if start.IsZero() || c.At.Before(start) || (dead && c.At.After(end)) {
			t.Errorf("%s wrote %s at %s outside its term [%s, %s]", who.id, c.Operation, c.At.Format(time.StampMilli), start.Format(time.StampMilli), end.Format(time.StampMilli))
		}
		if len(order) == 0 || order[len(order)-1] != who.id {
			if slices.Contains(order, who.id) {
				t.Errorf("%s wrote again after another replica had written: %v", who.id, append(order, who.id))
			}
			order = append(order, who.id)
		}
	}
	if n == 0 {
		t.Fatal("no writes attributed to a replica: the user agent does not carry the replica id")
	}
	t.Logf("%d writes by %v", n, order)
}
