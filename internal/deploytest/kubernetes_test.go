package deploytest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	appsclient "k8s.io/client-go/kubernetes/typed/apps/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/headroom-dev/headroom/internal/target/kube"
	"github.com/headroom-dev/headroom/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.RunKube(m)) }

const kubeDir = "deploy/kubernetes"

// kubeObjects reads every object of every YAML file in deploy/kubernetes.
func kubeObjects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(t), kubeDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", kubeDir, err)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m == nil {
				continue
			}
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out
}

// kubeObject returns the one object of kind, converted into v.
func kubeObject(t *testing.T, objs []*unstructured.Unstructured, kind string, v any) {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s holds %d %s objects, want 1", kubeDir, len(found), kind)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(found[0].Object, v, true); err != nil {
		t.Fatalf("%s %s: %v", kind, found[0].GetName(), err)
	}
}

// flatten lists the (group, resource, verb) triples rules grant, refusing
// what kube.Rule cannot say: wildcards, resource names and URLs.
func flatten(t *testing.T, rules []rbacv1.PolicyRule) []kube.Rule {
	t.Helper()
	var out []kube.Rule
	for i, r := range rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %d names resources or URLs: %+v", i, r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if g == "*" || res == "*" || v == "*" {
						t.Errorf("rule %d grants a wildcard: %+v", i, r)
					}
					out = append(out, kube.Rule{Group: g, Resource: res, Verb: v})
				}
			}
		}
	}
	slices.SortFunc(out, kube.CompareRules)
	return out
}

// TestKubernetesRBACGrantsExactlyTheRules holds rbac.yaml's ClusterRole to
// kube.Rules for the workloads it is written for.
func TestKubernetesRBACGrantsExactlyTheRules(t *testing.T) {
	var role rbacv1.ClusterRole
	kubeObject(t, kubeObjects(t), "ClusterRole", &role)
	got := flatten(t, role.Rules)
	want := kube.Rules(kube.Workloads...)
	if !slices.Equal(got, want) {
		t.Errorf("the ClusterRole grants %v\nthe code uses %v", got, want)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("the ClusterRole grants a permission twice: %v", got)
	}
}

// TestKubernetesManifestsFitTogether checks that the binding, the
// ServiceAccount and the Deployment name each other.
func TestKubernetesManifestsFitTogether(t *testing.T) {
	objs := kubeObjects(t)
	var (
		sa      corev1.ServiceAccount
		role    rbacv1.ClusterRole
		binding rbacv1.ClusterRoleBinding
		deploy  appsv1.Deployment
	)
	kubeObject(t, objs, "ServiceAccount", &sa)
	kubeObject(t, objs, "ClusterRole", &role)
	kubeObject(t, objs, "ClusterRoleBinding", &binding)
	kubeObject(t, objs, "Deployment", &deploy)
	if binding.RoleRef.Kind != "ClusterRole" || binding.RoleRef.Name != role.Name {
		t.Errorf("the binding refers to %s %s, want ClusterRole %s", binding.RoleRef.Kind, binding.RoleRef.Name, role.Name)
	}
	wantSubject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: sa.Namespace}
	if !slices.Equal(binding.Subjects, []rbacv1.Subject{wantSubject}) {
		t.Errorf("the binding's subjects are %+v, want only %+v", binding.Subjects, wantSubject)
	}
	spec := deploy.Spec.Template.Spec
	if deploy.Namespace != sa.Namespace || spec.ServiceAccountName != sa.Name {
		t.Errorf("the Deployment runs in %s as %q, want %s as %q", deploy.Namespace, spec.ServiceAccountName, sa.Namespace, sa.Name)
	}
	if deploy.Spec.Replicas == nil || *deploy.Spec.Replicas != 1 || deploy.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("the Deployment must run one replica, replaced by Recreate (the bolt store's lock): replicas %v, strategy %q", deploy.Spec.Replicas, deploy.Spec.Strategy.Type)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("the Deployment has %d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if len(c.Args) != 3 || c.Args[0] != "serve" || c.Args[1] != "--config" {
		t.Fatalf("container args %q, want serve --config PATH", c.Args)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(c.Args[2], m.MountPath+"/") {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("the config %s is on no volume mount %+v", c.Args[2], c.VolumeMounts)
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the container's root filesystem must be read-only")
	}
}

// kubeResources maps the manifests' kinds to their resources.
var kubeResources = map[string]schema.GroupVersionResource{
	"ServiceAccount":     {Version: "v1", Resource: "serviceaccounts"},
	"ClusterRole":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	"ClusterRoleBinding": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
	"Deployment":         {Group: "apps", Version: "v1", Resource: "deployments"},
}

// TestKubernetesManifestsOnAPIServer applies every manifest to a real API
// server with strict field validation, then binds the ClusterRole to the
// headroom user and proves it lets the Kubernetes target read and scale a
// Deployment and a StatefulSet, and that the authorizer allows exactly
// kube.Rules among the verbs and resources nearby, nothing more.
func TestKubernetesManifestsOnAPIServer(t *testing.T) {
	s := testenv.Kube(t)
	ctx := t.Context()
	admin := &rest.Config{Host: s.Host, BearerToken: s.AdminToken, TLSClientConfig: rest.TLSClientConfig{CAData: s.CAData}}
	dyn := dynamic.NewForConfigOrDie(admin)
	core := coreclient.NewForConfigOrDie(admin)
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "headroom"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range kubeObjects(t) {
		gvr, ok := kubeResources[o.GetKind()]
		if !ok {
			t.Fatalf("%s %s: no resource known for the kind", o.GetKind(), o.GetName())
		}
		var ri dynamic.ResourceInterface = dyn.Resource(gvr)
		if ns := o.GetNamespace(); ns != "" {
			ri = dyn.Resource(gvr).Namespace(ns)
		}
		if _, err := ri.Create(ctx, o, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Errorf("apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	var role rbacv1.ClusterRole
	kubeObject(t, kubeObjects(t), "ClusterRole", &role)

	// The headroom user stands in for the ServiceAccount: same role.
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "headroom-user"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.Name},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": testenv.KubeUser}},
	}}
	if _, err := dyn.Resource(kubeResources["ClusterRoleBinding"]).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	ns := testenv.KubeNamespace(t)
	if _, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rules := kube.Rules(kube.Workloads...)
	allowed := func(r kube.Rule) (bool, string) {
		t.Helper()
		resource, sub, _ := strings.Cut(r.Resource, "/")
		sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:               testenv.KubeUser,
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Group: r.Group, Resource: resource, Subresource: sub, Verb: r.Verb},
		}}
		got, err := authzclient.NewForConfigOrDie(admin).SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Status.Allowed, got.Status.Reason
	}
	// The authorizer reads bindings through an informer: wait for it.
	deadline := time.Now().Add(30 * time.Second)
	for ok, _ := allowed(rules[0]); !ok; ok, _ = allowed(rules[0]) {
		if time.Now().After(deadline) {
			t.Fatalf("%+v still not allowed 30 s after the binding", rules[0])
		}
		time.Sleep(20 * time.Millisecond)
	}

	t.Run("allows exactly kube.Rules", func(t *testing.T) {
		groups := map[string][]string{
			"":            {"pods", "secrets", "configmaps", "replicationcontrollers", "replicationcontrollers/scale"},
			"apps":        {"deployments", "deployments/scale", "deployments/status", "statefulsets", "statefulsets/scale", "replicasets", "replicasets/scale"},
			"autoscaling": {"horizontalpodautoscalers"},
			"keda.sh":     {"scaledobjects", "scaledjobs"},
		}
		verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
		for group, resources := range groups {
			for _, res := range resources {
				for _, v := range verbs {
					r := kube.Rule{Group: group, Resource: res, Verb: v}
					got, reason := allowed(r)
					if want := slices.Contains(rules, r); got != want {
						t.Errorf("%+v: allowed %v, want %v (%s)", r, got, want, reason)
					}
				}
			}
		}
	})

	t.Run("the backend reads and scales", func(t *testing.T) {
		apps := appsclient.NewForConfigOrDie(admin)
		replicas := int32(2)
		labels := map[string]string{"app": "web"}
		tmpl := corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
		}
		if _, err := apps.Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := apps.StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db"},
			Spec:       appsv1.StatefulSetSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b, err := kube.New(&rest.Config{Host: s.Host, BearerToken: s.UserToken, TLSClientConfig: rest.TLSClientConfig{CAData: s.CAData}})
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{ns + "/deployments/web", ns + "/statefulsets/db"}
		got, err := b.Describe(ctx, ids, nil)
		if err != nil {
			t.Fatalf("Describe as the headroom user: %v", err)
		}
		for _, id := range ids {
			if g, ok := got[id]; !ok || g.Desired != 2 || g.Conflict != "" {
				t.Errorf("%s = %+v, %v; want desired 2, no conflict", id, g, ok)
			}
			if err := b.SetDesired(ctx, id, 3); err != nil {
				t.Errorf("SetDesired as the headroom user: %v", err)
			}
		}
		if sc, err := apps.StatefulSets(ns).GetScale(ctx, "db", metav1.GetOptions{}); err != nil || sc.Spec.Replicas != 3 {
			t.Errorf("db scale after SetDesired(3): %v, %v", sc, err)
		}
	})
}
