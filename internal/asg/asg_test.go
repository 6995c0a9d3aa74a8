package asg

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/headroom-dev/headroom/internal/clock"
	headroomemu "github.com/headroom-dev/headroom/internal/emulator"
	emulator "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

var t0 = time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)

// counter counts operations as the SDK client invokes them, once per
// call however many attempts the call takes.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

// middleware adds the counter to a client's stack.
func (c *counter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		op := awsmiddleware.GetOperationName(ctx)
		c.mu.Lock()
		c.calls[op]++
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

func (c *counter) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int{}
}

type fixture struct {
	emu     *emulator.Service
	clk     *clock.Fake
	counter *counter
	client  *autoscaling.Client
	act     *Actuator
}

// newFixture starts the Auto Scaling emulator on a fake clock behind a real
// HTTP server, with an actuator over an SDK client that counts its calls.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	emu := emulator.New(clk)
	c := &counter{calls: map[string]int{}}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client := newClient(srv.URL, c.middleware)
	return &fixture{emu: emu, clk: clk, counter: c, client: client, act: New(client, clk)}
}

func newClient(endpoint string, apiOptions ...func(*middleware.Stack) error) *autoscaling.Client {
	return autoscaling.New(autoscaling.Options{
		APIOptions:   apiOptions,
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", Source: "test"}, nil
		}),
		Retryer: headroomemu.Retryer(),
	})
}

func (f *fixture) createGroups(t *testing.T, n int) []string {
	t.Helper()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("group-%03d", i)
		if err := f.emu.CreateGroup(emulator.GroupSpec{Name: names[i], Min: 0, Max: 10, Desired: 1, StartInService: true}); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

func (f *fixture) describeOne(t *testing.T, name string, warmup time.Duration) Group {
	t.Helper()
	got, err := f.act.Describe(context.Background(), []string{name}, func(string) time.Duration { return warmup })
	if err != nil {
		t.Fatalf("describe %s: %v", name, err)
	}
	g, ok := got[name]
	if !ok {
		t.Fatalf("group %s missing from Describe", name)
	}
	return g
}

func TestDescribeBatching(t *testing.T) {
	f := newFixture(t)
	names := f.createGroups(t, 250)
	tests := []struct {
		name      string
		names     []string
		wantCalls int
		wantFound int
	}{
		{name: "no names", names: nil, wantCalls: 0},
		{name: "one group", names: names[:1], wantCalls: 1, wantFound: 1},
		{name: "100 groups", names: names[:100], wantCalls: 1, wantFound: 100},
		{name: "101 groups", names: names[:101], wantCalls: 2, wantFound: 101},
		{name: "250 groups", names: names, wantCalls: 3, wantFound: 250},
		{name: "duplicates cost nothing", names: append(append([]string{}, names[:100]...), names[:100]...), wantCalls: 1, wantFound: 100},
		{name: "missing groups are absent", names: append([]string{"ghost-1", "ghost-2"}, names[:98]...), wantCalls: 1, wantFound: 98},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.counter.reset()
			got, err := f.act.Describe(context.Background(), tc.names, nil)
			if err != nil {
				t.Fatalf("describe: %v", err)
			}
			if calls := f.counter.count("DescribeAutoScalingGroups"); calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if len(got) != tc.wantFound {
				t.Errorf("found %d groups, want %d", len(got), tc.wantFound)
			}
			for _, n := range tc.names {
				if strings.HasPrefix(n, "ghost") {
					if _, ok := got[n]; ok {
						t.Errorf("absent group %s in the result", n)
					}
					continue
				}
				if g, ok := got[n]; !ok || g.Name != n || g.Desired != 1 || g.Max != 10 {
					t.Errorf("group %s = %+v", n, g)
				}
			}
		})
	}
}

func TestDescribeFollowsNextToken(t *testing.T) {
	f := newFixture(t)
	names := f.createGroups(t, 130)
	// Make the service answer 30 groups a page, as it may ("A response can
	// contain fewer items than the value specified by MaxRecords").
	f.emu.SetPageSize(30)
	got, err := f.act.Describe(context.Background(), names, nil)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(got) != 130 {
		t.Errorf("found %d groups, want 130", len(got))
	}
	// 100 names in 4 pages of 30, then 30 names in one page.
	if calls := f.counter.count("DescribeAutoScalingGroups"); calls != 5 {
		t.Errorf("calls = %d, want 5", calls)
	}
}

func TestLifecycleCounts(t *testing.T) {
	f := newFixture(t)
	if err := f.emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 10, Desired: 0}); err != nil {
		t.Fatal(err)
	}
	f.emu.SetTerminateTime(20 * time.Second)
	ctx := context.Background()
	if err := f.act.SetDesired(ctx, "web", 3); err != nil {
		t.Fatalf("set desired: %v", err)
	}
	steps := []struct {
		name                                        string
		advance                                     time.Duration
		desired                                     int
		wantPending, wantInService, wantTerminating int
	}{
		{name: "launching", wantPending: 3},
		{name: "half way", advance: 30 * time.Second, wantPending: 3},
		{name: "in service", advance: 30 * time.Second, wantInService: 3},
		{name: "scale in", desired: 1, wantInService: 1, wantTerminating: 2},
		{name: "terminated", advance: 20 * time.Second, wantInService: 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clk.Advance(st.advance)
			if st.desired > 0 {
				if err := f.act.SetDesired(ctx, "web", st.desired); err != nil {
					t.Fatalf("set desired: %v", err)
				}
			}
			g := f.describeOne(t, "web", 0)
			if g.Pending != st.wantPending || g.InService != st.wantInService || g.Terminating != st.wantTerminating {
				t.Errorf("pending %d in service %d terminating %d, want %d %d %d",
					g.Pending, g.InService, g.Terminating, st.wantPending, st.wantInService, st.wantTerminating)
			}
			if g.Serving != g.InService || g.Warming != 0 {
				t.Errorf("with no warmup: serving %d warming %d", g.Serving, g.Warming)
			}
		})
	}
}

func TestWarmup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const warmup = 2 * time.Minute
	if err := f.emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 10, Desired: 2, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	g := f.describeOne(t, "web", warmup)
	if g.InService != 2 || g.Serving != 2 || g.Warming != 0 {
		t.Fatalf("first sight: in service %d serving %d warming %d; instances running before the first look serve at once", g.InService, g.Serving, g.Warming)
	}
	if err := f.act.SetDesired(ctx, "web", 4); err != nil {
		t.Fatalf("set desired: %v", err)
	}
	steps := []struct {
		name                       string
		advance                    time.Duration
		wantInService, wantWarming int
		wantServing, wantPending   int
	}{
		{name: "pending", wantInService: 2, wantServing: 2, wantPending: 2},
		{name: "new instances in service, warming", advance: emulator.DefaultLaunchTime, wantInService: 4, wantWarming: 2, wantServing: 2},
		{name: "a second before warmup ends", advance: warmup - time.Second, wantInService: 4, wantWarming: 2, wantServing: 2},
		{name: "warm", advance: time.Second, wantInService: 4, wantServing: 4},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clk.Advance(st.advance)
			g := f.describeOne(t, "web", warmup)
			if g.InService != st.wantInService || g.Warming != st.wantWarming || g.Serving != st.wantServing || g.Pending != st.wantPending {
				t.Errorf("in service %d warming %d serving %d pending %d, want %d %d %d %d",
					g.InService, g.Warming, g.Serving, g.Pending, st.wantInService, st.wantWarming, st.wantServing, st.wantPending)
			}
		})
	}

	t.Run("instances that leave are forgotten", func(t *testing.T) {
		if err := f.act.SetDesired(ctx, "web", 1); err != nil {
			t.Fatalf("set desired: %v", err)
		}
		f.describeOne(t, "web", warmup)
		f.act.mu.Lock()
		n := len(f.act.inService["web"])
		f.act.mu.Unlock()
		if n != 1 {
			t.Errorf("remembers %d instances, want 1", n)
		}
	})

	t.Run("a restarted actuator counts running instances as serving", func(t *testing.T) {
		if err := f.act.SetDesired(ctx, "web", 3); err != nil {
			t.Fatalf("set desired: %v", err)
		}
		f.clk.Advance(emulator.DefaultLaunchTime)
		fresh := New(f.client, f.clk)
		got, err := fresh.Describe(ctx, []string{"web"}, func(string) time.Duration { return warmup })
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if g := got["web"]; g.Serving != 3 || g.Warming != 0 {
			t.Errorf("serving %d warming %d, want 3 and 0", g.Serving, g.Warming)
		}
		if g := f.describeOne(t, "web", warmup); g.Warming != 2 {
			t.Errorf("the long-running actuator sees %d warming, want 2", g.Warming)
		}
	})

	t.Run("a deleted group is forgotten", func(t *testing.T) {
		if _, err := f.client.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), ForceDelete: aws.Bool(true)}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		got, err := f.act.Describe(ctx, []string{"web"}, nil)
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		f.act.mu.Lock()
		_, remembered := f.act.inService["web"]
		f.act.mu.Unlock()
		if len(got) != 0 || remembered {
			t.Errorf("got %d groups, remembered %v", len(got), remembered)
		}
	})
}

func TestSuspendedProcesses(t *testing.T) {
	tests := []struct {
		name          string
		processes     []string
		wantSuspended string
		wantBlocked   bool
	}{
		{name: "none", wantSuspended: "[]"},
		{name: "launch", processes: []string{"Launch"}, wantSuspended: "[Launch]", wantBlocked: true},
		{name: "terminate", processes: []string{"Terminate"}, wantSuspended: "[Terminate]", wantBlocked: true},
		{name: "unrelated", processes: []string{"AZRebalance", "HealthCheck"}, wantSuspended: "[AZRebalance HealthCheck]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.createGroups(t, 1)
			if len(tc.processes) > 0 {
				_, err := f.client.SuspendProcesses(context.Background(), &autoscaling.SuspendProcessesInput{
					AutoScalingGroupName: aws.String("group-000"), ScalingProcesses: tc.processes,
				})
				if err != nil {
					t.Fatalf("suspend: %v", err)
				}
			}
			g := f.describeOne(t, "group-000", 0)
			got := fmt.Sprint(g.Suspended)
			if got != tc.wantSuspended || g.LaunchOrTerminateSuspended != tc.wantBlocked {
				t.Errorf("suspended %s blocked %v, want %s %v", got, g.LaunchOrTerminateSuspended, tc.wantSuspended, tc.wantBlocked)
			}
		})
	}
}

func TestTagsAndARN(t *testing.T) {
	f := newFixture(t)
	if err := f.emu.CreateGroup(emulator.GroupSpec{Name: "web", Max: 3, Tags: map[string]string{"headroom": "managed"}}); err != nil {
		t.Fatal(err)
	}
	g := f.describeOne(t, "web", 0)
	if g.Tags["headroom"] != "managed" || !strings.HasPrefix(g.ARN, "arn:aws:autoscaling:") {
		t.Errorf("tags %v arn %q", g.Tags, g.ARN)
	}
}

func TestRefreshInProgress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.createGroups(t, 1)
	check := func(want bool) {
		t.Helper()
		got, err := f.act.RefreshInProgress(ctx, "group-000")
		if err != nil {
			t.Fatalf("refresh in progress: %v", err)
		}
		if got != want {
			t.Errorf("RefreshInProgress = %v, want %v", got, want)
		}
	}
	check(false)
	if _, err := f.client.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("group-000")}); err != nil {
		t.Fatalf("start: %v", err)
	}
	check(true)
	f.clk.Advance(time.Hour)
	check(true)
	if _, err := f.client.CancelInstanceRefresh(ctx, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String("group-000")}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	check(false)
	if _, err := f.client.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String("group-000")}); err != nil {
		t.Fatalf("start: %v", err)
	}
	check(true)
	if err := f.emu.CompleteInstanceRefresh("group-000"); err != nil {
		t.Fatal(err)
	}
	check(false)

	_, err := f.act.RefreshInProgress(ctx, "ghost")
	if err == nil || !strings.Contains(err.Error(), `"ghost"`) || Classify(err) != ValidationError {
		t.Errorf("unknown group: err = %v (class %v)", err, Classify(err))
	}
}

func TestSetDesired(t *testing.T) {
	tests := []struct {
		name      string
		capacity  int
		wantClass Class
		wantMsg   string
	}{
		{name: "within bounds", capacity: 7, wantClass: None},
		{name: "above max", capacity: 11, wantClass: ValidationError, wantMsg: "New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup."},
		{name: "below min", capacity: 1, wantClass: ValidationError, wantMsg: "New SetDesiredCapacity value 1 is below min value 2 for the AutoScalingGroup."},
		{name: "negative", capacity: -1, wantClass: Other},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 2, Max: 10, Desired: 3}); err != nil {
				t.Fatal(err)
			}
			err := f.act.SetDesired(context.Background(), "web", tc.capacity)
			if got := Classify(err); got != tc.wantClass {
				t.Fatalf("class = %v, want %v (%v)", got, tc.wantClass, err)
			}
			if err == nil {
				if g := f.describeOne(t, "web", 0); g.Desired != tc.capacity {
					t.Errorf("desired = %d, want %d", g.Desired, tc.capacity)
				}
				return
			}
			if !strings.Contains(err.Error(), `group "web"`) {
				t.Errorf("error does not name the group: %v", err)
			}
			var ae smithy.APIError
			if tc.wantMsg != "" && (!errors.As(err, &ae) || ae.ErrorMessage() != tc.wantMsg) {
				t.Errorf("message = %v, want %q", err, tc.wantMsg)
			}
		})
	}
}

func TestLaunchTimeMeasurement(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.emu.CreateGroup(emulator.GroupSpec{Name: "web", Min: 0, Max: 20, Desired: 1, StartInService: true}); err != nil {
		t.Fatal(err)
	}
	f.emu.SetLaunchTime(time.Minute)
	const tick = 10 * time.Second
	describe := func() Group {
		t.Helper()
		return f.describeOne(t, "web", 0)
	}
	if g := describe(); g.LaunchSamples != 0 || g.LaunchP90 != 0 {
		t.Fatalf("measured %d launches (p90 %s) before any", g.LaunchSamples, g.LaunchP90)
	}

	// Ten launches of 60 s, one at a time, described every 10 s. Each is
	// measured from the Describe before it appeared (10 s early at most).
	for i := range 10 {
		if err := f.act.SetDesired(ctx, "web", 2+i); err != nil {
			t.Fatal(err)
		}
		for range 7 {
			f.clk.Advance(tick)
			describe()
		}
	}
	g := describe()
	if g.LaunchSamples != 10 {
		t.Fatalf("measured %d launches, want 10", g.LaunchSamples)
	}
	if g.LaunchP90 < time.Minute || g.LaunchP90 > time.Minute+2*tick {
		t.Errorf("p90 %s, want between 60 s and 80 s", g.LaunchP90)
	}

	t.Run("instances pending before the first look are not measured", func(t *testing.T) {
		if err := f.act.SetDesired(ctx, "web", 15); err != nil {
			t.Fatal(err)
		}
		fresh := New(f.client, f.clk)
		if _, err := fresh.Describe(ctx, []string{"web"}, nil); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(2 * time.Minute)
		got, err := fresh.Describe(ctx, []string{"web"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := got["web"].LaunchSamples; n != 0 {
			t.Errorf("measured %d launches whose start it never saw", n)
		}
	})
}

func TestP90(t *testing.T) {
	s := time.Second
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{name: "none", want: 0},
		{name: "one", in: []time.Duration{5 * s}, want: 5 * s},
		{name: "ten: the ninth", in: []time.Duration{10 * s, 1 * s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s, 8 * s, 9 * s}, want: 9 * s},
		{name: "eleven: the tenth", in: []time.Duration{1 * s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s, 8 * s, 9 * s, 10 * s, 11 * s}, want: 10 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p90(tc.in); got != tc.want {
				t.Errorf("p90 = %s, want %s", got, tc.want)
			}
		})
	}
}
