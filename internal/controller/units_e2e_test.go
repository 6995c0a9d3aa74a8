package controller

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/awsapi"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emuasg "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/telemetry"
)

const unitsConfig = `
interval: 10s
call_timeout: 2s
groups:
  - name: workers
    asg: workers
    min: 1
    max: 40
    warmup: 0s
    scale_in_window: 120s
    max_age: 120s
    policies:
      - name: queue
        backlog:
          mode: rate
          acceptable_latency: 60s
          queues:
            - queue: jobs
              seconds_per_message: 0.1
`

// unitsWorld is a weighted group (weights 1, 2 and 4) on the emulator and
// a controller that reads it through endpoint (the emulator, or a proxy
// in front of it).
type unitsWorld struct {
	clk    *clock.Fake
	em     *emulator.Server
	ctrl   *Controller
	client *autoscaling.Client
}

func newUnitsWorld(t *testing.T, proxy func(emulatorURL string) string) *unitsWorld {
	t.Helper()
	clk := clock.NewFake(t0)
	em := emulator.StartTest(t, clk)
	em.AutoScaling.SetLaunchTime(30 * time.Second)
	awsCfg := em.AWSConfig()
	ctx := context.Background()
	client := autoscaling.NewFromConfig(awsCfg)
	var overrides []types.LaunchTemplateOverrides
	for i, w := range []string{"1", "2", "4"} {
		overrides = append(overrides, types.LaunchTemplateOverrides{
			InstanceType: aws.String([]string{"c5.large", "c5.xlarge", "c5.2xlarge"}[i]), WeightedCapacity: aws.String(w)})
	}
	if _, err := client.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("workers"), MinSize: aws.Int32(1), MaxSize: aws.Int32(40), DesiredCapacity: aws.Int32(4),
		MixedInstancesPolicy: &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{
			LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("workers"), Version: aws.String("$Latest")},
			Overrides:                   overrides,
		}},
	}); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if _, err := sqs.NewFromConfig(awsCfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")}); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	cfg, err := config.Parse([]byte(unitsConfig))
	if err != nil {
		t.Fatal(err)
	}
	ctrlCfg := awsCfg.Copy()
	ctrlCfg.AppID = e2eAppID
	if proxy != nil {
		ctrlCfg.BaseEndpoint = aws.String(proxy(em.URL()))
	}
	awsapi.Instrument(&ctrlCfg, nil, 2*time.Second)
	actuator := asg.New(autoscaling.NewFromConfig(ctrlCfg), clk)
	ctrl, err := New(cfg, Deps{
		Groups: actuator, Scaler: actuator,
		Metrics:   source.NewCloudWatch(cloudwatch.NewFromConfig(ctrlCfg)),
		Queues:    source.NewSQS(sqs.NewFromConfig(ctrlCfg), clk, 4),
		Clock:     clk,
		Telemetry: telemetry.NewMetrics(),
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute) // the first instances are InService
	return &unitsWorld{clk: clk, em: em, ctrl: ctrl, client: client}
}

func (w *unitsWorld) cycle(t *testing.T) Record {
	t.Helper()
	w.clk.Advance(10 * time.Second)
	recs, err := w.ctrl.RunOnce(context.Background(), w.clk.Now())
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	return recs[0]
}

// TestWeightedGroupCountsUnits: over the wire, a weighted group's
// decision counts units as the emulator holds them and instances beside
// them; a scale-out is ordered in units, AWS's overshoot is noted and not
// scaled in against.
func TestWeightedGroupCountsUnits(t *testing.T) {
	w := newUnitsWorld(t, nil)
	r := w.cycle(t)
	g, _ := w.em.AutoScaling.Group("workers")
	if !r.Weighted || r.CapacityType != "units" {
		t.Fatalf("weighted %v capacity type %q, want a weighted group in units", r.Weighted, r.CapacityType)
	}
	if units, n := g.Units(emuasg.StateInService), g.Count(emuasg.StateInService); r.Serving != units || r.Instances.Serving != n || units == n {
		t.Fatalf("serving %d units, %d instances; the emulator holds %d units in %d instances", r.Serving, r.Instances.Serving, units, n)
	}
	// 300 messages a second at 10 a unit need about 30 units: the
	// decision and the write are in units, within the group's 40.
	for range 12 {
		if err := w.em.SQS.Enqueue("jobs", 3000); err != nil {
			t.Fatal(err)
		}
		w.em.SQS.Consume("jobs", 10*10*r.Serving)
		r = w.cycle(t)
		if r.Desired > 40 {
			t.Fatalf("decided %d units above the max of 40", r.Desired)
		}
	}
	g, _ = w.em.AutoScaling.Group("workers")
	if g.Desired <= 4 || r.Serving+r.Pending < g.Desired {
		t.Fatalf("after the surge: desired %d units, serving %d + pending %d; want a scale-out filled in units", g.Desired, r.Serving, r.Pending)
	}
	if r.Instances.Serving+r.Instances.Pending >= r.Serving+r.Pending {
		t.Errorf("instances %+v not fewer than units serving %d + pending %d with weights up to 4", r.Instances, r.Serving, r.Pending)
	}
}

// TestUnreadableWeightsAreNotActedOn: when AWS's answer leaves an
// instance of a weighted group without WeightedCapacity (a proxy strips
// it from the emulator's DescribeAutoScalingGroups answer), the group is
// not acted on and the decision says why; nothing is written.
func TestUnreadableWeightsAreNotActedOn(t *testing.T) {
	strip := regexp.MustCompile(`(?s)(<Instances>.*?)<WeightedCapacity>[^<]*</WeightedCapacity>`)
	w := newUnitsWorld(t, func(target string) string {
		u, _ := url.Parse(target)
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			req, _ := http.NewRequest(r.Method, u.String()+r.URL.Path, bytes.NewReader(body))
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				http.Error(rw, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if strings.Contains(string(body), "Action=DescribeAutoScalingGroups") {
				out = strip.ReplaceAll(out, []byte("$1"))
			}
			for k, v := range resp.Header {
				if k != "Content-Length" {
					rw.Header()[k] = v
				}
			}
			rw.WriteHeader(resp.StatusCode)
			_, _ = rw.Write(out)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	})
	if err := w.em.SQS.Enqueue("jobs", 30000); err != nil {
		t.Fatal(err)
	}
	mark := w.em.Mark()
	r := w.cycle(t)
	if !strings.Contains(r.Error, "cannot count the group's capacity in units") || !strings.Contains(r.Error, "has no WeightedCapacity") || r.Acted {
		t.Fatalf("error %q, acted %v; want the group refused for its unreadable weights", r.Error, r.Acted)
	}
	for _, c := range w.em.CallsSince(mark) {
		if c.Write() && c.Service == emulator.ServiceAutoScaling {
			t.Errorf("wrote %s to a group whose units are unknown", c.Operation)
		}
	}
	if ws := w.ctrl.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], "group workers: not acted on") {
		t.Errorf("warnings %q, want the group named", ws)
	}
}

// TestStandbyAndSuspendedProcessesAreNoted: Standby units count neither
// as serving nor toward desired, and a suspended ScheduledActions process
// shows in the decision and in the warnings /readyz prints.
func TestStandbyAndSuspendedProcessesAreNoted(t *testing.T) {
	w := newUnitsWorld(t, nil)
	ctx := context.Background()
	g, _ := w.em.AutoScaling.Group("workers")
	var first string
	for _, in := range g.Instances {
		if in.State == emuasg.StateInService {
			first = in.ID
			break
		}
	}
	if _, err := w.client.EnterStandby(ctx, &autoscaling.EnterStandbyInput{AutoScalingGroupName: aws.String("workers"),
		InstanceIds: []string{first}, ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("workers"),
		ScalingProcesses: []string{"ScheduledActions"}}); err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Minute) // the replacement launches
	r := w.cycle(t)
	if r.Standby < 1 || r.Instances.Standby != 1 {
		t.Fatalf("standby %d units, %d instances; want the one instance", r.Standby, r.Instances.Standby)
	}
	notes := strings.Join(r.Notes, "\n")
	if !strings.Contains(notes, "in Standby") || !strings.Contains(notes, "ScheduledActions is suspended") {
		t.Errorf("notes %q, want Standby and the suspended process", r.Notes)
	}
	if ws := strings.Join(w.ctrl.Warnings(), "\n"); !strings.Contains(ws, "group workers: process ScheduledActions is suspended") {
		t.Errorf("warnings %q", ws)
	}
}
