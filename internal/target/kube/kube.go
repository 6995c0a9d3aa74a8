// Package kube is the Kubernetes target backend: it reads and resizes
// workloads that have a /scale subresource (Deployments, StatefulSets,
// custom resources such as Argo Rollouts) through that subresource, as the
// HorizontalPodAutoscaler and KEDA do, and refuses a workload that one of
// them already scales.
//
// A workload's id is "namespace/resource/name", the resource written as
// kubectl writes it: "deployments", "statefulsets" and "replicasets" are
// those of the apps group; any other resource is "resource.group" (for
// example "rollouts.argoproj.io", or "deployments.apps" in full); a bare
// name of another resource is in the core group ("replicationcontrollers").
// The three parts never contain a slash, so an id splits unambiguously.
package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/headroom-dev/headroom/internal/target"
)

// Defaults for the client. client-go's own (5 requests/s, bursts of 10)
// are for a controller that watches; Describe makes two requests per
// workload and two per namespace each cycle, so 100 workloads would take
// 40 s at 5/s. 50/s with bursts of 100 reads 100 workloads in about 2 s
// and stays well inside the API server's default priority-and-fairness
// share for a workload-controller.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

// concurrency bounds the requests Describe has in flight at once: enough
// to hide round trips, few enough that one Describe does not fill the
// client's burst alone.
const concurrency = 8

// Well-known API groups.
const (
	groupApps        = "apps"
	groupAutoscaling = "autoscaling"
	groupKEDA        = "keda.sh"
)

// appsResources are the bare resource names that mean the apps group.
var appsResources = []string{"deployments", "statefulsets", "replicasets"}

// readyKnown are the resources whose status always has readyReplicas
// when it has any ready replica: the apps workloads omit the field at 0
// (omitempty), so its absence there means none is ready.
var readyKnown = []schema.GroupResource{
	{Group: groupApps, Resource: "deployments"},
	{Group: groupApps, Resource: "statefulsets"},
	{Group: groupApps, Resource: "replicasets"},
}

var (
	hpaResource = schema.GroupVersionResource{Group: groupAutoscaling, Version: "v2", Resource: "horizontalpodautoscalers"}
	keda        = schema.GroupVersionResource{Group: groupKEDA, Version: "v1alpha1", Resource: "scaledobjects"}
)

// ID is a parsed workload id.
type ID struct {
	Namespace string
	Resource  schema.GroupResource
	Name      string
}

// String returns the id as ParseID reads it, the group written out
// ("deployments.apps").
func (id ID) String() string {
	return id.Namespace + "/" + id.Resource.String() + "/" + id.Name
}

// ParseID reads "namespace/resource/name" (see the package comment).
func ParseID(s string) (ID, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return ID{}, fmt.Errorf("kubernetes target %q: want namespace/resource/name, such as web/deployments/frontend", s)
	}
	gr := schema.ParseGroupResource(parts[1])
	if gr.Group == "" && slices.Contains(appsResources, gr.Resource) {
		gr.Group = groupApps
	}
	if gr.Resource != strings.ToLower(gr.Resource) {
		return ID{}, fmt.Errorf("kubernetes target %q: resource %q: want the plural lower-case resource (deployments), not the kind", s, parts[1])
	}
	return ID{Namespace: parts[0], Resource: gr, Name: parts[2]}, nil
}

// RESTConfig returns the client configuration for a cluster: from the
// kubeconfig file at path with its context kubeContext ("" for the file's
// current context), or, when path is "", the pod's own service account
// (in-cluster configuration). QPS and Burst are set to DefaultQPS and
// DefaultBurst.
func RESTConfig(path, kubeContext string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		if kubeContext != "" {
			return nil, fmt.Errorf("kubernetes context %q: needs a kubeconfig file; in-cluster configuration has no contexts", kubeContext)
		}
		cfg, err = rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster kubernetes configuration (no kubeconfig given): %w", err)
		}
	} else {
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: path},
			&clientcmd.ConfigOverrides{CurrentContext: kubeContext},
		).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s (context %q): %w", path, kubeContext, err)
		}
	}
	cfg.QPS, cfg.Burst = DefaultQPS, DefaultBurst
	cfg.UserAgent = "headroom"
	return cfg, nil
}

// Backend is the target.Backend of one cluster.
type Backend struct {
	scales   scale.ScalesGetter
	dyn      dynamic.Interface
	mapper   *restmapper.DeferredDiscoveryRESTMapper
	mu       sync.Mutex
	lastRead map[string]*autoscalingv1.Scale
}

var _ target.Backend = (*Backend)(nil)

// New returns the backend of the cluster cfg reaches. It makes no request:
// discovery (which versions serve each resource and its scale) is read on
// first use and kept, and read again when a resource is not found in it
// (a custom resource defined since).
func New(cfg *rest.Config) (*Backend, error) {
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(disco)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	scales, err := scale.NewForConfig(cfg, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(cached))
	if err != nil {
		return nil, fmt.Errorf("kubernetes scale client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes dynamic client: %w", err)
	}
	return &Backend{scales: scales, dyn: dyn, mapper: mapper, lastRead: map[string]*autoscalingv1.Scale{}}, nil
}

// owner is a controller that names a workload in its scaleTargetRef.
type owner struct {
	kind, namespace, name string
	// group and targetKind are the API group and kind of the workload it
	// scales.
	group, targetKind, target string
}

// read is one workload as Describe read it.
type read struct {
	scale *autoscalingv1.Scale
	// kind and group of the object, from the object itself.
	kind, group string
	// labels are the object's labels: boosts select targets by them as
	// by an Auto Scaling group's tags.
	labels map[string]string
	ready  int
	err    error
	gone   bool
}

// Describe reads each workload's scale subresource (desired replicas and
// the resourceVersion SetDesired writes with) and the object (its kind,
// for matching autoscalers, and status.readyReplicas), and, once per
// namespace, the HorizontalPodAutoscalers and KEDA ScaledObjects there.
// Serving is the ready replicas: status.readyReplicas where the object
// has it (absent means 0 for the apps workloads, which omit it at 0);
// for a resource that has no readyReplicas, the scale's status.replicas,
// the replicas its controller observes, which is what the HPA itself
// counts: nothing more exact is in the API without reading the pods.
// Pending is desired minus serving, never negative. Warmup is not
// applied: a replica counts as serving from its readiness, which its
// readiness probe is there to decide. Min is 0 and Max target.NoMax:
// Kubernetes has no bounds of its own.
//
// A workload whose scale is not found is absent from the map. A failed
// request makes its workloads unknown (*target.PageError): the object's
// when it is one workload's, the namespace's autoscaler lists when it is
// one of those (an unread autoscaler could be a conflict).
func (b *Backend) Describe(ctx context.Context, ids []string, _ func(id string) time.Duration) (map[string]target.Group, error) {
	out := map[string]target.Group{}
	blind := &target.PageError{}
	parsed := make([]ID, 0, len(ids))
	// names holds each parsed id as the caller spelled it, which keys the
	// answer ("deployments" and "deployments.apps" are the same resource).
	names := make([]string, 0, len(ids))
	var namespaces []string
	seen := map[string]bool{}
	for _, s := range ids {
		id, err := ParseID(s)
		if err != nil {
			blind.Groups = append(blind.Groups, s)
			blind.Errs = append(blind.Errs, err)
			continue
		}
		parsed = append(parsed, id)
		names = append(names, s)
		if !seen[id.Namespace] {
			seen[id.Namespace] = true
			namespaces = append(namespaces, id.Namespace)
		}
	}

	reads := make([]read, len(parsed))
	owners := map[string][]owner{}
	nsErr := map[string]error{}
	var mu sync.Mutex
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	do := func(f func()) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f()
		}()
	}
	for _, ns := range namespaces {
		do(func() {
			o, err := b.autoscalers(ctx, ns)
			mu.Lock()
			defer mu.Unlock()
			owners[ns], nsErr[ns] = o, err
		})
	}
	for i, id := range parsed {
		do(func() { reads[i] = b.read(ctx, id) })
	}
	wg.Wait()

	b.mu.Lock()
	defer b.mu.Unlock()
	for i, id := range parsed {
		r := reads[i]
		s := names[i]
		switch {
		case r.err != nil:
			delete(b.lastRead, s)
			blind.Groups = append(blind.Groups, s)
			blind.Errs = append(blind.Errs, r.err)
			continue
		case r.gone:
			delete(b.lastRead, s)
			continue
		case nsErr[id.Namespace] != nil:
			delete(b.lastRead, s)
			blind.Groups = append(blind.Groups, s)
			blind.Errs = append(blind.Errs, nsErr[id.Namespace])
			continue
		}
		b.lastRead[s] = r.scale
		desired := int(r.scale.Spec.Replicas)
		g := target.Group{
			Kind:      target.KindKubernetes,
			Name:      id.Name,
			Min:       0,
			Max:       target.NoMax,
			Desired:   desired,
			InService: r.ready,
			Serving:   r.ready,
			Pending:   max(desired-r.ready, 0),
			MaxWeight: 1,
			Tags:      r.labels,
		}
		g.Instances = target.Counts{InService: g.InService, Serving: g.Serving, Pending: g.Pending}
		g.Conflict = conflict(owners[id.Namespace], r)
		out[s] = g
	}
	if len(blind.Groups) > 0 {
		return out, dedupe(blind)
	}
	return out, nil
}

// dedupe keeps each distinct error once: a namespace's failed list blinds
// all its workloads with the same error.
func dedupe(e *target.PageError) *target.PageError {
	var errs []error
	seen := map[string]bool{}
	for _, err := range e.Errs {
		if !seen[err.Error()] {
			seen[err.Error()] = true
			errs = append(errs, err)
		}
	}
	e.Errs = errs
	return e
}

// read gets one workload's scale and object.
func (b *Backend) read(ctx context.Context, id ID) read {
	var r read
	sc, err := b.scales.Scales(id.Namespace).Get(ctx, id.Resource, id.Name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			r.gone = true
			return r
		}
		r.err = fmt.Errorf("get scale of %s: %w", id, err)
		return r
	}
	r.scale = sc
	gvr, err := b.mapper.ResourceFor(id.Resource.WithVersion(""))
	if err != nil {
		r.err = fmt.Errorf("find the version of %s: %w", id.Resource, err)
		return r
	}
	obj, err := b.dyn.Resource(gvr).Namespace(id.Namespace).Get(ctx, id.Name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			r.gone = true
			return r
		}
		r.err = fmt.Errorf("get %s: %w", id, err)
		return r
	}
	r.kind = obj.GetKind()
	r.labels = obj.GetLabels()
	r.group = schema.FromAPIVersionAndKind(obj.GetAPIVersion(), r.kind).Group
	ready, found, err := unstructured.NestedInt64(obj.Object, "status", "readyReplicas")
	switch {
	case err != nil:
		r.err = fmt.Errorf("%s: status.readyReplicas: %w", id, err)
	case found:
		r.ready = int(ready)
	case slices.Contains(readyKnown, id.Resource):
		r.ready = 0
	default:
		r.ready = int(sc.Status.Replicas)
	}
	return r
}

// autoscalers lists the namespace's HorizontalPodAutoscalers and KEDA
// ScaledObjects. A cluster without KEDA's ScaledObject resource has none.
func (b *Backend) autoscalers(ctx context.Context, ns string) ([]owner, error) {
	var out []owner
	hpas, err := b.dyn.Resource(hpaResource).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list HorizontalPodAutoscalers in %s: %w", ns, err)
	}
	for _, h := range hpas.Items {
		out = append(out, ownerOf("HorizontalPodAutoscaler", h, ""))
	}
	sos, err := b.dyn.Resource(keda).Namespace(ns).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("list KEDA ScaledObjects in %s: %w", ns, err)
	default:
		for _, so := range sos.Items {
			// KEDA's scaleTargetRef defaults: apps/v1 Deployment.
			out = append(out, ownerOf("KEDA ScaledObject", so, "Deployment"))
		}
	}
	return out, nil
}

// ownerOf reads an autoscaler's spec.scaleTargetRef. defaultKind stands in
// for an absent kind (KEDA's default), with the apps group.
func ownerOf(kind string, u unstructured.Unstructured, defaultKind string) owner {
	ref, _, _ := unstructured.NestedStringMap(u.Object, "spec", "scaleTargetRef")
	o := owner{kind: kind, namespace: u.GetNamespace(), name: u.GetName(), targetKind: ref["kind"], target: ref["name"]}
	apiVersion := ref["apiVersion"]
	// KEDA defaults each of the two on its own (kind Deployment,
	// apiVersion apps/v1: "ScaledObject specification", scaleTargetRef);
	// the HPA requires both.
	if defaultKind != "" {
		if o.targetKind == "" {
			o.targetKind = defaultKind
		}
		if apiVersion == "" {
			apiVersion = "apps/v1"
		}
	}
	gv, _ := schema.ParseGroupVersion(apiVersion)
	o.group = gv.Group
	return o
}

// conflict names the first autoscaler that scales r's workload, "" when
// none does.
func conflict(owners []owner, r read) string {
	name := r.scale.Name
	for _, o := range owners {
		if o.target == name && o.targetKind == r.kind && o.group == r.group {
			return fmt.Sprintf("%s %s/%s scales this workload", o.kind, o.namespace, o.name)
		}
	}
	return ""
}

// SetDesired writes replicas through the workload's scale subresource
// with the resourceVersion the last Describe read, so that a change made
// since (another controller, a person with kubectl) fails with a conflict
// instead of being overwritten; the next Describe reads it and the
// controller decides again. A target not described since its last write
// or failure is an error: nothing is ever written blind.
func (b *Backend) SetDesired(ctx context.Context, id string, capacity int) error {
	p, err := ParseID(id)
	if err != nil {
		return err
	}
	if capacity < 0 || capacity > target.NoMax {
		return fmt.Errorf("set replicas of %s: %d is not a replica count", id, capacity)
	}
	b.mu.Lock()
	last := b.lastRead[id]
	delete(b.lastRead, id)
	b.mu.Unlock()
	if last == nil {
		return fmt.Errorf("set replicas of %s: %w", id, ErrNotDescribed)
	}
	want := last.DeepCopy()
	want.Spec.Replicas = int32(capacity)
	got, err := b.scales.Scales(p.Namespace).Update(ctx, p.Resource, want, metav1.UpdateOptions{})
	if err != nil {
		if apierrors.IsConflict(err) {
			return fmt.Errorf("set replicas of %s: changed since it was read (resourceVersion %s); it is read again next cycle: %w", id, last.ResourceVersion, err)
		}
		return fmt.Errorf("set replicas of %s: %w", id, err)
	}
	b.mu.Lock()
	b.lastRead[id] = got
	b.mu.Unlock()
	return nil
}

// ErrNotDescribed is SetDesired's error for a target it holds no read of:
// never described, gone, or its last write failed.
var ErrNotDescribed = errors.New("not described since its last change; describe it first")
