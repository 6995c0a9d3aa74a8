package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/headroom-dev/headroom/internal/api"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/emulator"
	emas "github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	emecs "github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/testenv"
)

const (
	clientAccount = "111111111111"
	clientRole    = "arn:aws:iam::" + clientAccount + ":role/headroom-target"
)

// threeKinds is serve driving three kinds of target at once: an Auto
// Scaling group of the daemon's own account scaled from an SQS backlog,
// an ECS service of a client account (through its role) scaled from a
// CloudWatch metric of that account, and a Deployment in a real
// Kubernetes API server scaled from another queue.
type threeKinds struct {
	*campaignDay
	kube *kubernetes.Clientset
	ns   string
}

func newThreeKinds(t *testing.T) *threeKinds {
	t.Helper()
	ks := testenv.Kube(t)
	start := time.Date(2026, 12, 15, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	em := emulator.StartTest(t, clk)
	em.RefuseUnknownKeys()
	em.AutoScaling.SetLaunchTime(30 * time.Second)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(em.AddRole(clientRole, "acme-7f3a"))
	must(em.AutoScaling.CreateGroup(emas.GroupSpec{Name: "workers", Min: 1, Max: 20, Desired: 1, StartInService: true}))
	_, err := em.SQS.CreateQueue("jobs", nil)
	must(err)
	_, err = em.SQS.CreateQueue("acme-jobs", nil)
	must(err)
	b := em.In(clientAccount, emulator.Region)
	b.ECS.CreateCluster("prod")
	must(b.ECS.CreateService("prod", "api", emecs.ServiceOptions{Desired: 2, Running: true, StartTime: 20 * time.Second}))

	// The workload: a Deployment of one ready replica, in its own namespace.
	rc, err := clientcmd.BuildConfigFromFlags("", ks.Kubeconfig)
	must(err)
	kc, err := kubernetes.NewForConfig(rc)
	must(err)
	ns := fmt.Sprintf("rewards-%d", time.Now().UnixNano()%1_000_000)
	ctx := context.Background()
	_, err = kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(err)
	one := int32(1)
	labels := map[string]string{"app": "reward-workers"}
	_, err = kc.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "reward-workers"},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: "registry.example/worker:1"}}}}},
	}, metav1.CreateOptions{})
	must(err)
	d := &threeKinds{kube: kc, ns: ns}
	d.setReady(1)

	cfg, err := config.Parse(fmt.Appendf(nil, `
interval: 10s
jitter: 0s
call_timeout: 2s
listen: %q
store: {path: %q}
lease: {ttl: 5m}
api:
  tokens:
    - {name: alice, role: operator, sha256: %s}
    - {name: dashboards, role: viewer, sha256: %s}
groups:
  - name: workers
    asg: workers
    max: 20
    warmup: 0s
    boost_lead: 2m
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 100s, queues: [{queue: jobs, seconds_per_message: 1}]}
  - name: api
    target: {kind: ecs_service, cluster: prod, service: api}
    aws: {role_arn: %q, external_id: acme-7f3a}
    max: 30
    warmup: 0s
    boost_lead: 2m
    policies:
      - name: cpu
        target_tracking:
          metric: {namespace: AWS/ECS, name: CPUUtilization, dimensions: {ClusterName: prod, ServiceName: api}, stat: Average}
          target: 50
  - name: acme-workers
    target: {kind: kubernetes, kubeconfig: %q, context: admin, namespace: %s, resource: deployments, name: reward-workers}
    max: 40
    warmup: 0s
    boost_lead: 2m
    policies:
      - name: queue
        backlog: {mode: per_instance, acceptable_latency: 100s, queues: [{queue: acme-jobs, seconds_per_message: 1}]}
`, freeAddr(t), filepath.Join(t.TempDir(), "headroom.db"), api.HashToken(operatorToken), api.HashToken(viewerToken),
		clientRole, ks.Kubeconfig, ns))
	must(err)
	d.campaignDay = &campaignDay{t: t, clk: clk, em: em, cfg: cfg, dbPath: cfg.Store.Path, addr: cfg.Listen, sleepers: 3}
	d.start()
	t.Cleanup(func() {
		if d.stop != nil {
			d.stop()
		}
	})
	return d
}

// setReady plays the kubelet: the Deployment's ready replicas.
func (d *threeKinds) setReady(n int32) {
	ctx := context.Background()
	dep, err := d.kube.AppsV1().Deployments(d.ns).Get(ctx, "reward-workers", metav1.GetOptions{})
	if err != nil {
		panic(err)
	}
	dep.Status.Replicas, dep.Status.ReadyReplicas, dep.Status.AvailableReplicas = n, n, n
	dep.Status.ObservedGeneration = dep.Generation
	if _, err := d.kube.AppsV1().Deployments(d.ns).UpdateStatus(ctx, dep, metav1.UpdateOptions{}); err != nil {
		panic(err)
	}
}

// replicas is the Deployment's spec.replicas.
func (d *threeKinds) replicas() int {
	dep, err := d.kube.AppsV1().Deployments(d.ns).Get(context.Background(), "reward-workers", metav1.GetOptions{})
	if err != nil {
		d.t.Fatal(err)
	}
	return int(*dep.Spec.Replicas)
}

// desired returns each target's desired capacity: the group's, the
// service's desired count, the Deployment's replicas.
func (d *threeKinds) desired() (workers, api, acme int) {
	g, _ := d.em.AutoScaling.Group("workers")
	svc, _, _, _ := d.em.In(clientAccount, emulator.Region).ECS.Counts("prod", "api")
	return g.Desired, svc, d.replicas()
}

// cpu publishes the service's CPU in the client account, one datapoint a
// minute over the last five minutes.
func (d *threeKinds) cpu(v float64) {
	now := d.clk.Now().Truncate(time.Minute)
	for i := range 5 {
		d.em.In(clientAccount, emulator.Region).CloudWatch.Put("AWS/ECS", "CPUUtilization",
			map[string]string{"ClusterName": "prod", "ServiceName": "api"}, now.Add(-time.Duration(i+1)*time.Minute), v)
	}
}

// TestThreeKindsOfTarget: one serve drives an Auto Scaling group, an ECS
// service in another account and a Kubernetes Deployment, each from its
// own source; one boost raises all three; an override pins one; ctl and
// the dashboard show the three kinds side by side.
func TestThreeKindsOfTarget(t *testing.T) {
	d := newThreeKinds(t)
	if err := d.em.SQS.Enqueue("jobs", 500); err != nil {
		t.Fatal(err)
	}
	if err := d.em.SQS.Enqueue("acme-jobs", 700); err != nil {
		t.Fatal(err)
	}
	d.cpu(100) // twice the target: 2 tasks -> 4
	d.cycles(1)
	if w, a, k := d.desired(); w != 5 || a != 4 || k != 7 {
		t.Fatalf("after the backlog and the CPU: workers %d, api %d, acme-workers %d; want 5, 4, 7", w, a, k)
	}

	// Every call to the client account went out as its role.
	for _, c := range d.em.Calls() {
		if (c.Service == emulator.ServiceECS || c.Service == emulator.ServiceAppScaling) && !strings.Contains(c.Principal, "assumed-role/headroom-target/") {
			t.Fatalf("%s %s went out as %q", c.Service, c.Operation, c.Principal)
		}
	}

	// ctl lists the three kinds side by side.
	code, _, _ := runCLI(t, context.Background(), "ctl", "groups", "--server", "http://"+d.addr, "--token", viewerToken)
	if code != 0 {
		t.Fatalf("ctl groups: exit %d", code)
	}
	_, table, _ := runCLI(t, context.Background(), "ctl", "groups", "--server", "http://"+d.addr, "--token", viewerToken)
	for _, want := range []string{"KIND", "workers       asg", "api           ecs_service  prod/api", "acme-workers  kubernetes   admin:" + d.ns + "/deployments/reward-workers"} {
		if !strings.Contains(table, want) {
			t.Errorf("ctl groups lacks %q:\n%s", want, table)
		}
	}

	// One boost on all three: every target is raised to its floor.
	code, _ = d.ctl("boost", "create", "--name", "payouts", "--reason", "sales incentive payouts",
		"--group", "workers", "--group", "api", "--group", "acme-workers",
		"--start", "2026-12-15T08:05:00Z", "--end", "2026-12-15T09:00:00Z", "--min-capacity", "12", "--lead", "2m")
	if code != 0 {
		t.Fatalf("ctl boost create: exit %d", code)
	}
	d.cycles(18) // to 08:03:10, inside the lead
	if w, a, k := d.desired(); w < 12 || a < 12 || k < 12 {
		t.Fatalf("under the boost: workers %d, api %d, acme-workers %d; want each at least 12", w, a, k)
	}

	// An override pins the workload; the others keep the boost.
	if code, _ := d.ctl("override", "pin", "acme-workers", "--capacity", "3", "--reason", "incident 4411", "--ttl", "30m"); code != 0 {
		t.Fatalf("ctl override pin: exit %d", code)
	}
	d.cycles(1)
	if w, a, k := d.desired(); k != 3 || w < 12 || a < 12 {
		t.Fatalf("after the pin: workers %d, api %d, acme-workers %d; want the workload at 3 and the others at 12 or more", w, a, k)
	}

	// An HPA on the workload: two controllers would fight, so Headroom
	// refuses the workload and leaves it as it is, whatever it is told.
	minR := int32(1)
	if _, err := d.kube.AutoscalingV2().HorizontalPodAutoscalers(d.ns).Create(context.Background(), &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "reward-workers"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: &minR, MaxReplicas: 50,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "reward-workers"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, _ := d.ctl("override", "pin", "acme-workers", "--capacity", "6", "--reason", "after the incident", "--ttl", "30m"); code != 0 {
		t.Fatalf("ctl override pin: exit %d", code)
	}
	d.cycles(1)
	if k := d.replicas(); k != 3 {
		t.Fatalf("under an HPA the workload went to %d replicas; want 3, untouched", k)
	}
	var detail struct {
		Decision struct {
			Error string `json:"error"`
		} `json:"decision"`
	}
	d.get("/v1/groups/acme-workers", viewerToken, &detail)
	if !strings.Contains(detail.Decision.Error, "another controller scales this target") || !strings.Contains(detail.Decision.Error, "HorizontalPodAutoscaler") {
		t.Fatalf("acme-workers under an HPA: error %q", detail.Decision.Error)
	}

	// The dashboard's overview names each kind and target.
	body := dashboardHome(t, d.addr)
	for _, want := range []string{"workers", "ecs_service prod/api", "kubernetes admin:" + d.ns + "/deployments/reward-workers"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard overview lacks %q", want)
		}
	}
}

// dashboardHome logs in to serve's dashboard as the viewer and returns
// the overview page.
func dashboardHome(t *testing.T, addr string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm("http://"+addr+"/login", url.Values{"token": {viewerToken}, "csrf": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dashboard login: %d", resp.StatusCode)
	}
	resp, err = c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard overview: %d", resp.StatusCode)
	}
	return string(b)
}
