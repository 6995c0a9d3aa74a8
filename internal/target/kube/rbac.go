package kube

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Rule is one RBAC permission the backend uses: a verb on a resource
// ("deployments/scale" for a subresource) of an API group ("" for the
// core group).
type Rule struct {
	Group, Resource, Verb string
}

// Rules lists every permission the backend's requests need when it manages
// workloads of the given resources, and no other: the one place that set
// is kept. deploy/kubernetes grants it for Deployments and StatefulSets and
// is tested against it; the backend's tests check that every request it
// makes is in it.
//
//   - get and update on each resource's scale subresource: the desired
//     replicas and the write (Describe, SetDesired);
//   - get on each resource: its kind and status.readyReplicas (Describe);
//   - list on autoscaling horizontalpodautoscalers and keda.sh
//     scaledobjects: the autoscalers that would fight Headroom (Describe,
//     once per namespace).
//
// Discovery (GET /api, /apis and each group version) is not listed: every
// authenticated user may read it (the system:discovery role).
func Rules(workloads ...schema.GroupResource) []Rule {
	var out []Rule
	for _, w := range workloads {
		out = append(out,
			Rule{w.Group, w.Resource, "get"},
			Rule{w.Group, w.Resource + "/scale", "get"},
			Rule{w.Group, w.Resource + "/scale", "update"},
		)
	}
	out = append(out,
		Rule{hpaResource.Group, hpaResource.Resource, "list"},
		Rule{keda.Group, keda.Resource, "list"},
	)
	slices.SortFunc(out, CompareRules)
	return slices.Compact(out)
}

// CompareRules orders rules by group, resource and verb.
func CompareRules(a, b Rule) int {
	switch {
	case a.Group != b.Group:
		return strings.Compare(a.Group, b.Group)
	case a.Resource != b.Resource:
		return strings.Compare(a.Resource, b.Resource)
	}
	return strings.Compare(a.Verb, b.Verb)
}

// Workloads are the resources deploy/kubernetes grants: the apps
// workloads that have a scale subresource and that Headroom is most often
// given. Another resource needs the same rules added for it.
var Workloads = []schema.GroupResource{
	{Group: groupApps, Resource: "deployments"},
	{Group: groupApps, Resource: "statefulsets"},
}
