package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emas "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	emecs "github.com/headroom-dev/headroom/internal/emulator/ecs"
)

const (
	accountB = "111111111111"
	roleB    = "arn:aws:iam::" + accountB + ":role/headroom-target"
)

// accountsConfig drives an Auto Scaling group of the daemon's own account,
// an ECS service of account B through its role, and a group of the
// daemon's account in another region. Each group's queue is its own
// account's and region's.
const accountsConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: workers
    asg: workers
    max: 20
    warmup: 0s
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}
  - name: api
    target: {kind: ecs_service, cluster: prod, service: api}
    aws: {role_arn: "` + roleB + `", external_id: acme-7f3a}
    max: 20
    warmup: 0s
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 60s, queues: [{queue: "http://sqs.us-east-1.localhost/111111111111/api-jobs", seconds_per_message: 1}]}
  - name: west
    target: {kind: asg, name: workers}
    aws: {region: us-west-2}
    max: 20
    warmup: 0s
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 60s, queues: [{queue: "http://sqs.us-west-2.localhost/000000000000/west-jobs", seconds_per_message: 1}]}
`

// accountsWorld builds the three targets and their queues, each in its own
// account and region, and a controller over them; wrongID is the external
// id the config gives the role.
func accountsWorld(t *testing.T, externalID string) (*clock.Fake, *emulator.Server, *Controller) {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.RefuseUnknownKeys()
	must(t, em.AddRole(roleB, "acme-7f3a"))
	must(t, em.AutoScaling.CreateGroup(emas.GroupSpec{Name: "workers", Min: 1, Max: 20, Desired: 1, StartInService: true}))
	_, err := em.SQS.CreateQueue("jobs", nil)
	must(t, err)
	b := em.In(accountB, emulator.Region)
	b.ECS.CreateCluster("prod")
	must(t, b.ECS.CreateService("prod", "api", emecs.ServiceOptions{Desired: 1, Running: true}))
	_, err = b.SQS.CreateQueue("api-jobs", nil)
	must(t, err)
	west := em.In(emulator.DefaultAccount, "us-west-2")
	must(t, west.AutoScaling.CreateGroup(emas.GroupSpec{Name: "workers", Min: 1, Max: 20, Desired: 1, StartInService: true}))
	_, err = west.SQS.CreateQueue("west-jobs", nil)
	must(t, err)
	doc := accountsConfig
	if externalID != "acme-7f3a" {
		doc = strings.Replace(doc, "external_id: acme-7f3a", "external_id: "+externalID, 1)
	}
	// The queue URLs name the emulator's host.
	doc = strings.ReplaceAll(doc, "localhost/", "localhost"+em.URL()[strings.LastIndex(em.URL(), ":"):]+"/")
	cfg, err := config.Parse([]byte(doc))
	must(t, err)
	ctrl, err := NewAWS(cfg, em.AWSConfig(), Deps{Clock: clk}, Options{})
	must(t, err)
	return clk, em, ctrl
}

// TestAccountsAndRegions: one daemon drives a group of its own account,
// an ECS service of another account through the role the group names,
// and a group of the same name in another region. Every call of a group
// goes out as its own account, region and principal, each account's
// describes are batched apart, and each target is scaled from its own
// queue.
func TestAccountsAndRegions(t *testing.T) {
	clk, em, ctrl := accountsWorld(t, "acme-7f3a")
	ctx := context.Background()
	must(t, em.SQS.Enqueue("jobs", 300))
	must(t, em.In(accountB, emulator.Region).SQS.Enqueue("api-jobs", 600))
	must(t, em.In(emulator.DefaultAccount, "us-west-2").SQS.Enqueue("west-jobs", 120))
	mark := em.Mark()
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	want := map[string]int{"workers": 5, "api": 10, "west": 2}
	for _, r := range records {
		if r.Error != "" || !r.Acted || r.Desired != want[r.Group] {
			t.Errorf("%s: decided %d acted %v error %q; want %d acted", r.Group, r.Desired, r.Acted, r.Error, want[r.Group])
		}
	}
	if g, _ := em.AutoScaling.Group("workers"); g.Desired != 5 {
		t.Errorf("workers in us-east-1: desired %d, want 5", g.Desired)
	}
	if g, _ := em.In(emulator.DefaultAccount, "us-west-2").AutoScaling.Group("workers"); g.Desired != 2 {
		t.Errorf("workers in us-west-2: desired %d, want 2", g.Desired)
	}
	if d, _, _, _ := em.In(accountB, emulator.Region).ECS.Counts("prod", "api"); d != 10 {
		t.Errorf("api in account B: desired %d, want 10", d)
	}

	assumed := "arn:aws:sts::" + accountB + ":assumed-role/headroom-target/headroom"
	per := map[string]int{}
	for _, c := range em.CallsSince(mark) {
		if a := awsapi.Action(c.Service, c.Operation); !slices.Contains(awsapi.Actions, a) {
			t.Errorf("the controller called %s, which awsapi.Actions (and so the IAM policies) does not grant", a)
		}
		if c.Status >= 400 {
			t.Errorf("call %s %s as %s in %s: status %d", c.Service, c.Operation, c.Principal, c.Region, c.Status)
		}
		who := c.Principal + " " + c.Region
		per[c.Service+" "+c.Operation+" "+who]++
		switch c.Service {
		case emulator.ServiceECS, emulator.ServiceAppScaling:
			if c.Principal != assumed {
				t.Errorf("%s %s went out as %s, want the role of account B", c.Service, c.Operation, c.Principal)
			}
		case emulator.ServiceAutoScaling:
			if c.Principal != emulator.BaseUser {
				t.Errorf("%s %s went out as %s, want the daemon's own", c.Service, c.Operation, c.Principal)
			}
		case emulator.ServiceSTS:
			if c.Operation != "AssumeRole" || c.Principal != emulator.BaseUser {
				t.Errorf("STS %s as %s", c.Operation, c.Principal)
			}
		}
	}
	base := emulator.BaseUser
	for _, k := range []string{
		"Auto Scaling DescribeAutoScalingGroups " + base + " us-east-1",
		"Auto Scaling DescribeAutoScalingGroups " + base + " us-west-2",
		"ECS DescribeServices " + assumed + " us-east-1",
		"SQS GetQueueAttributes " + base + " us-east-1",
		"SQS GetQueueAttributes " + assumed + " us-east-1",
		"SQS GetQueueAttributes " + base + " us-west-2",
		"STS AssumeRole " + base + " us-east-1",
	} {
		if per[k] != 1 {
			t.Errorf("%q: %d calls, want 1", k, per[k])
		}
	}

	// The role's credentials are cached: the next cycle assumes nothing.
	mark = em.Mark()
	clk.Advance(10 * time.Second)
	_, err = ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	if n := countCalls(em.CallsSince(mark), emulator.ServiceSTS); n != 0 {
		t.Errorf("%d STS calls in the second cycle, want 0 (cached)", n)
	}

	// An hour later by the daemon's clock, the session (an hour by
	// default) is renewed before it expires: one AssumeRole, no call
	// refused.
	clk.Advance(56 * time.Minute)
	mark = em.Mark()
	records, err = ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	calls := em.CallsSince(mark)
	if n := countCalls(calls, emulator.ServiceSTS); n != 1 {
		t.Errorf("%d STS calls near the session's end, want 1", n)
	}
	for _, c := range calls {
		if c.Status >= 400 {
			t.Errorf("%s %s refused near the session's end: %d %s", c.Service, c.Operation, c.Status, c.Fault)
		}
	}
	for _, r := range records {
		if r.Error != "" {
			t.Errorf("%s near the session's end: %s", r.Group, r.Error)
		}
	}
}

// TestAccountRefused: a role that cannot be assumed (a wrong external id)
// blinds only the groups of its account, with the reason; the others are
// decided and acted on.
func TestAccountRefused(t *testing.T) {
	clk, em, ctrl := accountsWorld(t, "wrong-id")
	ctx := context.Background()
	must(t, em.SQS.Enqueue("jobs", 300))
	clk.Advance(10 * time.Second)
	records, err := ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	for _, r := range records {
		switch r.Group {
		case "api":
			if r.Acted || !strings.Contains(r.Error, "AccessDenied") {
				t.Errorf("api: acted %v error %q; want blind with AccessDenied", r.Acted, r.Error)
			}
		default:
			if r.Error != "" {
				t.Errorf("%s: error %q; want decided", r.Group, r.Error)
			}
		}
	}
	if !slices.ContainsFunc(records, func(r Record) bool { return r.Group == "workers" && r.Acted }) {
		t.Error("workers did not act while account B was refused")
	}
}

func countCalls(calls []emulator.Call, service string) int {
	n := 0
	for _, c := range calls {
		if c.Service == service {
			n++
		}
	}
	return n
}

// TestRoleRenewalFails: when STS fails as a session nears its end, the
// credentials in hand still serve until they expire; after that the
// account's groups are blind, and the others go on.
func TestRoleRenewalFails(t *testing.T) {
	clk, em, ctrl := accountsWorld(t, "acme-7f3a")
	ctx := context.Background()
	clk.Advance(10 * time.Second)
	_, err := ctrl.RunOnce(ctx, clk.Now())
	must(t, err)
	em.AddFault(emulator.Fault{Service: emulator.ServiceSTS, Operation: "AssumeRole", Status: 500, Code: "InternalFailure"})
	api := func() Record {
		records, err := ctrl.RunOnce(ctx, clk.Now())
		must(t, err)
		for _, r := range records {
			if r.Group != "api" && r.Error != "" {
				t.Fatalf("%s: %s", r.Group, r.Error)
			}
		}
		return records[1]
	}
	// Inside the renewal window (stscreds asks for 15-minute sessions):
	// renewal fails, the session still serves.
	clk.Advance(11 * time.Minute)
	if r := api(); r.Error != "" {
		t.Fatalf("before the session's end: %s", r.Error)
	}
	// Past its end: blind, with STS's error.
	clk.Advance(5 * time.Minute)
	if r := api(); !strings.Contains(r.Error, "InternalFailure") {
		t.Fatalf("after the session's end: error %q, want the AssumeRole failure", r.Error)
	}
}
