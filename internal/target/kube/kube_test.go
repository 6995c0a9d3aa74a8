package kube_test

import (
	"errors"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	autoscalingclient "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacclient "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/rest"

	"github.com/headroom-dev/headroom/internal/target"
	"github.com/headroom-dev/headroom/internal/target/kube"
	"github.com/headroom-dev/headroom/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunKube(m)) }

// waitTimeout bounds the polls for RBAC changes to take effect (the API
// server's authorizer reads roles through an informer, within
// milliseconds on an idle machine).
const waitTimeout = 30 * time.Second

// env is one test's namespace on the shared API server, with admin
// clients to play the cluster's other actors and the backend acting as
// the headroom user.
type env struct {
	t     *testing.T
	ns    string
	admin *rest.Config
	apps  appsclient.AppsV1Interface
	hpas  autoscalingclient.AutoscalingV2Interface
	// user is the backend as the headroom user; calls records its
	// requests.
	user  *kube.Backend
	calls *callLog
}

func restConfig(s *testenv.KubeServer, token string) *rest.Config {
	return &rest.Config{
		Host:            s.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.CAData},
		QPS:             kube.DefaultQPS,
		Burst:           kube.DefaultBurst,
	}
}

// newEnv makes a namespace, grants the headroom user rules there, and
// waits until RBAC applies them. Every request the backend makes must be
// in kube.Rules(kube.Workloads...) or rules, checked when the test ends.
func newEnv(t *testing.T, rules []kube.Rule) *env {
	t.Helper()
	s := testenv.Kube(t)
	e := &env{t: t, ns: testenv.KubeNamespace(t), admin: restConfig(s, s.AdminToken), calls: &callLog{}}
	e.apps = appsclient.NewForConfigOrDie(e.admin)
	e.hpas = autoscalingclient.NewForConfigOrDie(e.admin)
	ctx := t.Context()
	core := coreclient.NewForConfigOrDie(e.admin)
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(rules) > 0 {
		grant(t, e.admin, e.ns, rules)
	}
	cfg := restConfig(s, s.UserToken)
	cfg.WrapTransport = e.calls.wrap
	b, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.user = b
	t.Cleanup(func() {
		allowed := append(kube.Rules(kube.Workloads...), rules...)
		for _, c := range e.calls.all() {
			if !slices.Contains(allowed, c) {
				t.Errorf("the backend made a request that kube.Rules does not list: %+v", c)
			}
		}
	})
	return e
}

// grant binds a Role with rules to the headroom user in ns and waits
// until the authorizer allows the first of them.
func grant(t *testing.T, admin *rest.Config, ns string, rules []kube.Rule) {
	t.Helper()
	ctx := t.Context()
	rc := rbacclient.NewForConfigOrDie(admin)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "headroom"}}
	for _, r := range rules {
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{r.Group}, Resources: []string{r.Resource}, Verbs: []string{r.Verb}})
	}
	if _, err := rc.Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "headroom"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "headroom"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: testenv.KubeUser}},
	}
	if _, err := rc.RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	WaitAllowed(t, admin, ns, rules[len(rules)-1])
}

// WaitAllowed polls a SubjectAccessReview until the headroom user may do
// r in ns.
func WaitAllowed(t *testing.T, admin *rest.Config, ns string, r kube.Rule) {
	t.Helper()
	az := authzclient.NewForConfigOrDie(admin)
	resource, sub, _ := strings.Cut(r.Resource, "/")
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: testenv.KubeUser,
		ResourceAttributes: &authzv1.ResourceAttributes{
			Namespace: ns, Group: r.Group, Resource: resource, Subresource: sub, Verb: r.Verb,
		},
	}}
	deadline := time.Now().Add(waitTimeout)
	for {
		got, err := az.SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%+v not allowed in %s after %s: %s", r, ns, waitTimeout, got.Status.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// callLog records the backend's requests as RBAC rules.
type callLog struct {
	mu    sync.Mutex
	calls []kube.Rule
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (l *callLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if rule, ok := ruleOf(r.Method, r.URL.Path); ok {
			l.mu.Lock()
			l.calls = append(l.calls, rule)
			l.mu.Unlock()
		}
		return rt.RoundTrip(r)
	})
}

func (l *callLog) all() []kube.Rule {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// ruleOf reads the RBAC rule a request needs from its method and path;
// false for discovery, which every authenticated user may read.
func ruleOf(method, path string) (kube.Rule, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var group string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return kube.Rule{}, false
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		parts = parts[2:]
	}
	if len(parts) == 0 {
		return kube.Rule{}, false
	}
	resource := parts[0]
	if len(parts) == 3 {
		resource += "/" + parts[2]
	}
	verb := map[string]string{http.MethodGet: "get", http.MethodPut: "update", http.MethodPost: "create", http.MethodPatch: "patch", http.MethodDelete: "delete"}[method]
	if method == http.MethodGet && len(parts) == 1 {
		verb = "list"
	}
	return kube.Rule{Group: group, Resource: resource, Verb: verb}, true
}

func TestRuleOf(t *testing.T) {
	tests := []struct {
		method, path string
		want         kube.Rule
		ok           bool
	}{
		{"GET", "/apis/apps/v1/namespaces/a/deployments/web/scale", kube.Rule{Group: "apps", Resource: "deployments/scale", Verb: "get"}, true},
		{"PUT", "/apis/apps/v1/namespaces/a/statefulsets/db/scale", kube.Rule{Group: "apps", Resource: "statefulsets/scale", Verb: "update"}, true},
		{"GET", "/apis/autoscaling/v2/namespaces/a/horizontalpodautoscalers", kube.Rule{Group: "autoscaling", Resource: "horizontalpodautoscalers", Verb: "list"}, true},
		{"GET", "/api/v1/namespaces/a/replicationcontrollers/rc", kube.Rule{Group: "", Resource: "replicationcontrollers", Verb: "get"}, true},
		{"GET", "/api/v1/namespaces", kube.Rule{Group: "", Resource: "namespaces", Verb: "list"}, true},
		{"GET", "/apis", kube.Rule{}, false},
		{"GET", "/apis/apps/v1", kube.Rule{}, false},
		{"GET", "/api", kube.Rule{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			got, ok := ruleOf(tc.method, tc.path)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ruleOf = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func labels(name string) map[string]string { return map[string]string{"app": name} }

func podTemplate(name string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels(name)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
	}
}

// deployment creates a Deployment with replicas and, playing the
// kubelet and the deployment controller, sets its status: observed
// replicas and ready ones (ready < 0 leaves the status empty).
func (e *env) deployment(name string, replicas, observed, ready int32) {
	e.t.Helper()
	ctx := e.t.Context()
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(name)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels(name)},
			Template: podTemplate(name),
		},
	}
	d, err := e.apps.Deployments(e.ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if ready < 0 {
		return
	}
	d.Status = appsv1.DeploymentStatus{Replicas: observed, ReadyReplicas: ready, AvailableReplicas: ready, UpdatedReplicas: observed}
	if _, err := e.apps.Deployments(e.ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// statefulSet is deployment's StatefulSet twin.
func (e *env) statefulSet(name string, replicas, observed, ready int32) {
	e.t.Helper()
	ctx := e.t.Context()
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(name)},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels(name)},
			Template: podTemplate(name),
		},
	}
	s, err := e.apps.StatefulSets(e.ns).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if ready < 0 {
		return
	}
	s.Status = appsv1.StatefulSetStatus{Replicas: observed, ReadyReplicas: ready, AvailableReplicas: ready}
	if _, err := e.apps.StatefulSets(e.ns).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// hpa creates a HorizontalPodAutoscaler named name scaling kind/target.
func (e *env) hpa(name, kind, targetName string) {
	e.t.Helper()
	minReplicas := int32(1)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(name)},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: targetName},
			MinReplicas:    &minReplicas,
			MaxReplicas:    10,
		},
	}
	if _, err := e.hpas.HorizontalPodAutoscalers(e.ns).Create(e.t.Context(), h, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) replicas(name string) int32 {
	e.t.Helper()
	s, err := e.apps.Deployments(e.ns).GetScale(e.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Spec.Replicas
}

func group(name string, desired, serving, pending int, conflict string) *target.Group {
	g := target.Group{
		Kind: target.KindKubernetes, Name: name, Min: 0, Max: target.NoMax, Desired: desired,
		InService: serving, Serving: serving, Pending: pending, MaxWeight: 1, Conflict: conflict, Tags: labels(name),
	}
	g.Instances = target.Counts{InService: serving, Serving: serving, Pending: pending}
	return &g
}

func TestDescribe(t *testing.T) {
	e := newEnv(t, kube.Rules(kube.Workloads...))
	e.deployment("web", 3, 3, 1)
	e.deployment("idle", 2, 0, -1)
	e.deployment("shrinking", 1, 3, 3)
	e.deployment("stopped", 0, 0, 0)
	e.statefulSet("db", 2, 2, 2)
	e.deployment("api", 2, 2, 2)
	e.statefulSet("api", 4, 4, 1)
	e.hpa("api-hpa", "Deployment", "api")
	e.hpa("elsewhere", "Deployment", "no-such-deployment")

	ns := e.ns
	tests := []struct {
		name string
		id   string
		want *target.Group
	}{
		{"one of three ready", ns + "/deployments/web", group("web", 3, 1, 2, "")},
		{"the group written out", ns + "/deployments.apps/web", group("web", 3, 1, 2, "")},
		{"no status yet: none ready", ns + "/deployments/idle", group("idle", 2, 0, 2, "")},
		{"scaling in: more ready than desired, nothing pending", ns + "/deployments/shrinking", group("shrinking", 1, 3, 0, "")},
		{"scaled to zero", ns + "/deployments/stopped", group("stopped", 0, 0, 0, "")},
		{"a StatefulSet", ns + "/statefulsets/db", group("db", 2, 2, 0, "")},
		{"a HorizontalPodAutoscaler scales it", ns + "/deployments/api", group("api", 2, 2, 0, "HorizontalPodAutoscaler "+ns+"/api-hpa scales this workload")},
		{"same name, other kind: not the HPA's", ns + "/statefulsets/api", group("api", 4, 1, 3, "")},
		{"missing workload is absent", ns + "/deployments/missing", nil},
	}
	var ids []string
	for _, tc := range tests {
		ids = append(ids, tc.id)
	}
	got, err := e.user.Describe(t.Context(), ids, nil)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, ok := got[tc.id]
			if tc.want == nil {
				if ok {
					t.Fatalf("%s described as %+v, want absent", tc.id, g)
				}
				return
			}
			if !ok {
				t.Fatalf("%s absent", tc.id)
			}
			if !equalGroup(g, *tc.want) {
				t.Fatalf("%s = %+v\nwant %+v", tc.id, g, *tc.want)
			}
		})
	}
	if len(got) != len(tests)-1 {
		t.Errorf("Describe returned %d targets, want %d", len(got), len(tests)-1)
	}
	// One list of each autoscaler per namespace, not per workload; one
	// scale and one object read per workload (none of the object for
	// the missing one).
	count := map[kube.Rule]int{}
	for _, c := range e.calls.all() {
		count[c]++
	}
	want := map[kube.Rule]int{
		{Group: "autoscaling", Resource: "horizontalpodautoscalers", Verb: "list"}: 1,
		{Group: "keda.sh", Resource: "scaledobjects", Verb: "list"}:                1,
		{Group: "apps", Resource: "deployments/scale", Verb: "get"}:                7,
		{Group: "apps", Resource: "statefulsets/scale", Verb: "get"}:               2,
		{Group: "apps", Resource: "deployments", Verb: "get"}:                      6,
		{Group: "apps", Resource: "statefulsets", Verb: "get"}:                     2,
	}
	if !maps.Equal(count, want) {
		t.Errorf("Describe made requests %v, want %v", count, want)
	}
}

func equalGroup(a, b target.Group) bool {
	return a.Kind == b.Kind && a.Name == b.Name && a.Conflict == b.Conflict && a.Min == b.Min && a.Max == b.Max &&
		a.Desired == b.Desired && a.InService == b.InService && a.Serving == b.Serving && a.Pending == b.Pending &&
		a.Instances == b.Instances && a.MaxWeight == b.MaxWeight
}

func TestSetDesired(t *testing.T) {
	e := newEnv(t, kube.Rules(kube.Workloads...))
	e.deployment("web", 2, 2, 2)
	id := e.ns + "/deployments/web"
	ctx := t.Context()
	if _, err := e.user.Describe(ctx, []string{id}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.user.SetDesired(ctx, id, 5); err != nil {
		t.Fatalf("SetDesired: %v", err)
	}
	if got := e.replicas("web"); got != 5 {
		t.Fatalf("replicas = %d after SetDesired(5)", got)
	}
	// Its own write is the last read: a second write needs no Describe.
	if err := e.user.SetDesired(ctx, id, 4); err != nil {
		t.Fatalf("second SetDesired: %v", err)
	}
	if got := e.replicas("web"); got != 4 {
		t.Fatalf("replicas = %d after SetDesired(4)", got)
	}
	if err := e.user.SetDesired(ctx, e.ns+"/deployments/never-described", 1); !errors.Is(err, kube.ErrNotDescribed) {
		t.Fatalf("SetDesired of a target never described = %v, want ErrNotDescribed", err)
	}
	if err := e.user.SetDesired(ctx, id, -1); err == nil {
		t.Fatal("SetDesired(-1) succeeded")
	}
}

func TestSetDesiredConflict(t *testing.T) {
	e := newEnv(t, kube.Rules(kube.Workloads...))
	e.deployment("web", 2, 2, 2)
	id := e.ns + "/deployments/web"
	ctx := t.Context()
	if _, err := e.user.Describe(ctx, []string{id}, nil); err != nil {
		t.Fatal(err)
	}
	// Someone else scales between Headroom's read and its write.
	s, err := e.apps.Deployments(e.ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Spec.Replicas = 7
	if _, err := e.apps.Deployments(e.ns).UpdateScale(ctx, "web", s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = e.user.SetDesired(ctx, id, 5)
	if !apierrors.IsConflict(err) {
		t.Fatalf("SetDesired after another writer = %v, want a 409 conflict", err)
	}
	if got := e.replicas("web"); got != 7 {
		t.Fatalf("replicas = %d, want the other writer's 7 kept", got)
	}
	if err := e.user.SetDesired(ctx, id, 5); !errors.Is(err, kube.ErrNotDescribed) {
		t.Fatalf("retry without Describe = %v, want ErrNotDescribed: no blind write", err)
	}
	got, err := e.user.Describe(ctx, []string{id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got[id].Desired != 7 {
		t.Fatalf("Describe after the conflict: desired %d, want 7", got[id].Desired)
	}
	if err := e.user.SetDesired(ctx, id, 5); err != nil {
		t.Fatalf("SetDesired after Describe: %v", err)
	}
	if got := e.replicas("web"); got != 5 {
		t.Fatalf("replicas = %d, want 5", got)
	}
}

func TestRBACDenied(t *testing.T) {
	all := kube.Rules(kube.Workloads...)
	without := func(verb, resource string) []kube.Rule {
		return slices.DeleteFunc(slices.Clone(all), func(r kube.Rule) bool { return r.Verb == verb && r.Resource == resource })
	}
	tests := []struct {
		name         string
		rules        []kube.Rule
		describeErr  bool
		setDesiredOK bool
	}{
		{name: "no rights: every target is unknown", rules: nil, describeErr: true},
		{name: "no list on HPAs: a conflict cannot be ruled out", rules: without("list", "horizontalpodautoscalers"), describeErr: true},
		{name: "no list on ScaledObjects: a conflict cannot be ruled out", rules: without("list", "scaledobjects"), describeErr: true},
		{name: "no get on the workload", rules: without("get", "deployments"), describeErr: true},
		{name: "no update on the scale: the write is refused", rules: without("update", "deployments/scale")},
		{name: "exactly kube.Rules: reads and writes", rules: all, setDesiredOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.rules)
			e.deployment("web", 2, 2, 1)
			id := e.ns + "/deployments/web"
			got, err := e.user.Describe(t.Context(), []string{id}, nil)
			if tc.describeErr {
				var pe *target.PageError
				if !errors.As(err, &pe) || !pe.Blind(id) || !apierrors.IsForbidden(err) || len(got) != 0 {
					t.Fatalf("Describe = %v, %v; want a PageError naming %s, forbidden", got, err, id)
				}
				if err := e.user.SetDesired(t.Context(), id, 3); !errors.Is(err, kube.ErrNotDescribed) {
					t.Fatalf("SetDesired after a blind Describe = %v, want ErrNotDescribed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			err = e.user.SetDesired(t.Context(), id, 3)
			if tc.setDesiredOK != (err == nil) || (err != nil && !apierrors.IsForbidden(err)) {
				t.Fatalf("SetDesired = %v, want ok %v (else forbidden)", err, tc.setDesiredOK)
			}
			want := int32(2)
			if tc.setDesiredOK {
				want = 3
			}
			if got := e.replicas("web"); got != want {
				t.Fatalf("replicas = %d, want %d", got, want)
			}
		})
	}
}

func TestDescribeBlindsOnlyTheFailed(t *testing.T) {
	e := newEnv(t, kube.Rules(kube.Workloads...))
	e.deployment("web", 2, 2, 2)
	e.deployment("api", 1, 1, 1)
	// The headroom user has no rights in a second namespace.
	other := newEnv(t, nil)
	other.deployment("web", 2, 2, 2)
	ids := []string{e.ns + "/deployments/web", other.ns + "/deployments/web", e.ns + "/deployments/api", "not-an-id"}
	got, err := e.user.Describe(t.Context(), ids, nil)
	var pe *target.PageError
	if !errors.As(err, &pe) {
		t.Fatalf("Describe err = %v, want a *target.PageError", err)
	}
	for _, id := range ids {
		_, described := got[id]
		blind := pe.Blind(id)
		wantBlind := id == ids[1] || id == ids[3]
		if blind != wantBlind || described == wantBlind {
			t.Errorf("%s: blind %v, described %v; want blind %v", id, blind, described, wantBlind)
		}
	}
}

func TestRESTConfigFromKubeconfig(t *testing.T) {
	s := testenv.Kube(t)
	tests := []struct {
		name, context string
		wantToken     string
		wantErr       bool
	}{
		{name: "current context", context: "", wantToken: s.AdminToken},
		{name: "named context", context: testenv.KubeUser, wantToken: s.UserToken},
		{name: "unknown context", context: "nope", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := kube.RESTConfig(s.Kubeconfig, tc.context)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), s.Kubeconfig) {
					t.Fatalf("RESTConfig = %v, want an error naming the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != s.Host || cfg.BearerToken != tc.wantToken || cfg.QPS != kube.DefaultQPS {
				t.Fatalf("RESTConfig = host %s token %s qps %v", cfg.Host, cfg.BearerToken, cfg.QPS)
			}
		})
	}
	t.Run("no kubeconfig outside a pod", func(t *testing.T) {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		if _, err := kube.RESTConfig("", ""); err == nil || !strings.Contains(err.Error(), "in-cluster") {
			t.Fatalf("RESTConfig(\"\") = %v, want the in-cluster error", err)
		}
	})
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in      string
		want    kube.ID
		wantErr bool
	}{
		{in: "web/deployments/frontend", want: kube.ID{Namespace: "web", Resource: gr("apps", "deployments"), Name: "frontend"}},
		{in: "web/statefulsets/db", want: kube.ID{Namespace: "web", Resource: gr("apps", "statefulsets"), Name: "db"}},
		{in: "web/deployments.apps/frontend", want: kube.ID{Namespace: "web", Resource: gr("apps", "deployments"), Name: "frontend"}},
		{in: "web/rollouts.argoproj.io/r", want: kube.ID{Namespace: "web", Resource: gr("argoproj.io", "rollouts"), Name: "r"}},
		{in: "web/replicationcontrollers/rc", want: kube.ID{Namespace: "web", Resource: gr("", "replicationcontrollers"), Name: "rc"}},
		{in: "web/Deployment/frontend", wantErr: true},
		{in: "web/deployments", wantErr: true},
		{in: "web//frontend", wantErr: true},
		{in: "a/b/c/d", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := kube.ParseID(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.in) {
					t.Fatalf("ParseID = %+v, %v; want an error naming the id", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseID = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func gr(group, resource string) schema.GroupResource {
	return schema.GroupResource{Group: group, Resource: resource}
}

var (
	crds    = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	widgets = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	scaled  = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}
)

// defineCRD defines a namespaced custom resource that keeps any fields,
// with the status subresource and, if scalable, the scale subresource,
// and waits until it is served.
func defineCRD(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, kind string, scalable bool) {
	t.Helper()
	subresources := map[string]any{"status": map[string]any{}}
	if scalable {
		subresources["scale"] = map[string]any{"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": gvr.Resource + "." + gvr.Group},
		"spec": map[string]any{
			"group": gvr.Group, "scope": "Namespaced",
			"names": map[string]any{"plural": gvr.Resource, "singular": strings.ToLower(kind), "kind": kind, "listKind": kind + "List"},
			"versions": []any{map[string]any{
				"name": gvr.Version, "served": true, "storage": true,
				"schema":       map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
				"subresources": subresources,
			}},
		},
	}}
	ctx := t.Context()
	if _, err := dyn.Resource(crds).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		_, err := dyn.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not served after %s: %v", gvr, waitTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) create(dyn dynamic.Interface, gvr schema.GroupVersionResource, obj map[string]any) {
	e.t.Helper()
	u := &unstructured.Unstructured{Object: obj}
	created, err := dyn.Resource(gvr).Namespace(e.ns).Create(e.t.Context(), u, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	if status, ok := obj["status"]; ok {
		created.Object["status"] = status
		if _, err := dyn.Resource(gvr).Namespace(e.ns).UpdateStatus(e.t.Context(), created, metav1.UpdateOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestCustomResourcesAndKEDA runs last: it defines KEDA's ScaledObject,
// which the tests above rely on being absent (a missing CRD means no
// ScaledObject), and a scalable custom resource.
func TestCustomResourcesAndKEDA(t *testing.T) {
	s := testenv.Kube(t)
	dyn := dynamic.NewForConfigOrDie(restConfig(s, s.AdminToken))
	defineCRD(t, dyn, widgets, "Widget", true)
	defineCRD(t, dyn, scaled, "ScaledObject", false)
	widgetRules := kube.Rules(schema.GroupResource{Group: widgets.Group, Resource: widgets.Resource})
	e := newEnv(t, append(kube.Rules(kube.Workloads...), widgetRules...))

	e.deployment("worker", 2, 2, 2)
	e.deployment("free", 2, 2, 1)
	// A Widget has no readyReplicas: its scale's status.replicas serves.
	e.create(dyn, widgets, map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w1"},
		"spec": map[string]any{"replicas": int64(4)}, "status": map[string]any{"replicas": int64(3)},
	})
	e.create(dyn, widgets, map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w2"},
		"spec": map[string]any{"replicas": int64(1)}, "status": map[string]any{"replicas": int64(1), "readyReplicas": int64(0)},
	})
	// KEDA's default target is an apps/v1 Deployment.
	e.create(dyn, scaled, map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": map[string]any{"name": "worker-so"},
		"spec": map[string]any{"scaleTargetRef": map[string]any{"name": "worker"}},
	})
	e.create(dyn, scaled, map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": map[string]any{"name": "w2-so"},
		"spec": map[string]any{"scaleTargetRef": map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "name": "w2"}},
	})
	// A kind without an apiVersion: KEDA takes apps/v1.
	e.statefulSet("cache", 3, 3, 3)
	e.create(dyn, scaled, map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": map[string]any{"name": "cache-so"},
		"spec": map[string]any{"scaleTargetRef": map[string]any{"kind": "StatefulSet", "name": "cache"}},
	})
	// Same name, other kind: not this Deployment's.
	e.create(dyn, scaled, map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": map[string]any{"name": "free-so"},
		"spec": map[string]any{"scaleTargetRef": map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "name": "free"}},
	})

	ns := e.ns
	tests := []struct {
		name string
		id   string
		want *target.Group
	}{
		{"KEDA scales it", ns + "/deployments/worker", group("worker", 2, 2, 0, "KEDA ScaledObject "+ns+"/worker-so scales this workload")},
		{"a ScaledObject of another kind", ns + "/deployments/free", group("free", 2, 1, 1, "")},
		{"KEDA scales a StatefulSet named by kind alone", ns + "/statefulsets/cache", group("cache", 3, 3, 0, "KEDA ScaledObject "+ns+"/cache-so scales this workload")},
		{"a custom resource without readyReplicas", ns + "/widgets.example.com/w1", group("w1", 4, 3, 1, "")},
		{"a custom resource KEDA scales", ns + "/widgets.example.com/w2", group("w2", 1, 0, 1, "KEDA ScaledObject "+ns+"/w2-so scales this workload")},
	}
	var ids []string
	for _, tc := range tests {
		ids = append(ids, tc.id)
	}
	got, err := e.user.Describe(t.Context(), ids, nil)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if g, ok := got[tc.id]; !ok || !equalGroup(g, *tc.want) {
				t.Fatalf("%s = %+v, %v\nwant %+v", tc.id, g, ok, *tc.want)
			}
		})
	}
	if err := e.user.SetDesired(t.Context(), ns+"/widgets.example.com/w1", 6); err != nil {
		t.Fatalf("SetDesired on a custom resource: %v", err)
	}
	w, err := dyn.Resource(widgets).Namespace(ns).Get(t.Context(), "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(w.Object, "spec", "replicas"); r != 6 {
		t.Fatalf("w1 spec.replicas = %d after SetDesired(6)", r)
	}
}
