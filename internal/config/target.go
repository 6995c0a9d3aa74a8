package config

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/headroom-dev/headroom/internal/target"
)

// Target is what a group scales (docs/targets.md). `asg: NAME` is a
// shorthand for {kind: asg, name: NAME}.
type Target struct {
	// Kind is asg, ecs_service or kubernetes.
	Kind string `yaml:"kind"`
	// Name is the Auto Scaling group's name (asg) or the workload's name
	// (kubernetes).
	Name string `yaml:"name,omitempty"`
	// Cluster and Service name an ECS service (ecs_service): the
	// cluster's and the service's names. The account and region are the
	// group's aws block, so a cluster is named, not given by its ARN.
	Cluster string `yaml:"cluster,omitempty"`
	Service string `yaml:"service,omitempty"`
	// Kubeconfig is the kubeconfig file of a kubernetes target's cluster
	// and Context the context in it (the file's current context when
	// empty). Without a kubeconfig Headroom uses the in-cluster config of
	// the pod it runs in.
	Kubeconfig string `yaml:"kubeconfig,omitempty"`
	Context    string `yaml:"context,omitempty"`
	// Namespace, Resource and Name name a kubernetes workload. Resource is
	// the plural resource name: "deployments" and "statefulsets" (group
	// apps), or "RESOURCE.GROUP" for any other resource with a scale
	// subresource ("rollouts.argoproj.io").
	Namespace string `yaml:"namespace,omitempty"`
	Resource  string `yaml:"resource,omitempty"`
}

// GroupAWS is the account and region of a group's AWS calls: its target's
// (Auto Scaling, ECS, Application Auto Scaling) and its sources'
// (CloudWatch, SQS). Absent, they are the daemon's own credentials and
// region.
type GroupAWS struct {
	// Region is the group's AWS region; empty: the daemon's.
	Region string `yaml:"region,omitempty"`
	// RoleARN is the IAM role the group's calls assume with STS
	// AssumeRole; empty: the daemon's own credentials.
	RoleARN string `yaml:"role_arn,omitempty"`
	// ExternalID is the sts:ExternalId the role's trust policy asks for.
	ExternalID string `yaml:"external_id,omitempty"`
	// SessionName names the assumed role's sessions (CloudTrail shows it);
	// DefaultSessionName when empty.
	SessionName string `yaml:"session_name,omitempty"`
}

// DefaultSessionName is the role session name of assumed roles: it makes
// Headroom's calls easy to find in the client account's CloudTrail.
const DefaultSessionName = "headroom"

// Account is the group's account and region as a target.Account.
func (a GroupAWS) Account() target.Account {
	s := a.SessionName
	if a.RoleARN != "" && s == "" {
		s = DefaultSessionName
	}
	return target.Account{Region: a.Region, RoleARN: a.RoleARN, ExternalID: a.ExternalID, SessionName: s}
}

// Kind is the group's target kind (asg for the `asg` shorthand).
func (g Group) Kind() target.Kind {
	if g.Target.Kind == "" {
		return target.KindASG
	}
	return target.Kind(g.Target.Kind)
}

// TargetID is the target's name in its backend (target.Backend): the
// Auto Scaling group's name, "cluster/service" for an ECS service, and
// "namespace/resource/name" for a Kubernetes workload.
func (g Group) TargetID() string {
	switch g.Kind() {
	case target.KindECSService:
		return g.Target.Cluster + "/" + g.Target.Service
	case target.KindKubernetes:
		return g.Target.Namespace + "/" + g.Target.Resource + "/" + g.Target.Name
	}
	return g.ASG
}

// TargetKey names the group's target uniquely in the daemon: the Auto
// Scaling group's name for a group of the daemon's own account and region
// (as before there were other kinds), else the kind, the account or
// cluster, and TargetID. Two groups with one key manage the same target.
func (g Group) TargetKey() string {
	switch g.Kind() {
	case target.KindKubernetes:
		return "kubernetes:" + g.Target.Kubeconfig + "#" + g.Target.Context + ":" + g.TargetID()
	case target.KindECSService:
		return "ecs_service:" + g.AWS.Account().Key() + ":" + g.TargetID()
	}
	if g.AWS == (GroupAWS{}) {
		return g.ASG
	}
	return "asg:" + g.AWS.Account().Key() + ":" + g.ASG
}

// TargetString describes the target for people: the Auto Scaling
// group's name, "cluster/service", or "namespace/resource/name" with the
// kubeconfig context.
func (g Group) TargetString() string {
	if g.Kind() == target.KindKubernetes && g.Target.Context != "" {
		return g.Target.Context + ":" + g.TargetID()
	}
	return g.TargetID()
}

var (
	// ecsNameRE is ECS's rule for cluster and service names: "Up to 255
	// letters (uppercase and lowercase), numbers, underscores, and
	// hyphens are allowed" (CreateCluster clusterName, CreateService
	// serviceName).
	ecsNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	// dnsLabelRE is a Kubernetes namespace name: an RFC 1123 label.
	dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// dnsSubdomainRE is a Kubernetes object name: an RFC 1123 subdomain
	// (253 characters at most, checked apart).
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// resourceRE is a plural resource name, optionally with its API group
	// after a dot ("deployments", "rollouts.argoproj.io").
	resourceRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// roleARNRE is an IAM role's ARN (any partition): the path and name
	// are at most 512 and 64 characters of letters, digits and +=,.@_-.
	roleARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/([\x21-\x7e]{1,511}/)?[A-Za-z0-9+=,.@_-]{1,64}$`)
	// externalIDRE is STS's rule for ExternalId: 2 to 1224 characters of
	// letters, digits and +=,.@:/- (AssumeRole, ExternalId).
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	// sessionNameRE is STS's rule for RoleSessionName: 2 to 64
	// characters of letters, digits and +=,.@- (AssumeRole).
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// applyTargetDefaults sets `asg` from an asg target's name, so that both
// forms read alike: ASG is the Auto Scaling group's name whichever was
// written.
func (g *Group) applyTargetDefaults() {
	if g.Target.Kind == string(target.KindASG) && g.ASG == "" {
		g.ASG = g.Target.Name
	}
}

// defaultName is the group's name when none is given: its target's own
// name.
func (g *Group) defaultName() string {
	switch g.Kind() {
	case target.KindECSService:
		return g.Target.Service
	case target.KindKubernetes:
		return g.Target.Name
	}
	return g.ASG
}

// checkTarget reports the target's and the aws block's problems on their
// paths.
func (g *Group) checkTarget(ps *problems, path string) {
	tp := path + ".target"
	if g.Target == (Target{}) {
		switch {
		case g.ASG == "":
			ps.add(path+".asg", "required: the EC2 Auto Scaling group's name (or a target block)")
		case len(g.ASG) > maxASGName || strings.ContainsFunc(g.ASG, isControl):
			ps.add(path+".asg", fmt.Sprintf("must be 1 to %d printable characters", maxASGName))
		}
		g.checkAWS(ps, path+".aws")
		return
	}
	t := g.Target
	allowed := map[string]bool{}
	switch target.Kind(t.Kind) {
	case "":
		ps.add(tp+".kind", "required: one of "+kindList())
		return
	case target.KindASG:
		allowed["name"] = true
		switch {
		case t.Name == "":
			ps.add(tp+".name", "required: the EC2 Auto Scaling group's name")
		case len(t.Name) > maxASGName || strings.ContainsFunc(t.Name, isControl):
			ps.add(tp+".name", fmt.Sprintf("must be 1 to %d printable characters", maxASGName))
		case g.ASG != "" && g.ASG != t.Name:
			ps.add(path+".asg", fmt.Sprintf("%q differs from target.name %q: set either asg (the shorthand) or target", g.ASG, t.Name))
		}
	case target.KindECSService:
		allowed["cluster"], allowed["service"] = true, true
		switch {
		case t.Cluster == "":
			ps.add(tp+".cluster", "required: the ECS cluster's name")
		case !ecsNameRE.MatchString(t.Cluster):
			ps.add(tp+".cluster", fmt.Sprintf("%q is not a cluster name: 1-255 letters, digits, '_' or '-' (the account and region are the group's aws block)", t.Cluster))
		}
		switch {
		case t.Service == "":
			ps.add(tp+".service", "required: the ECS service's name")
		case !ecsNameRE.MatchString(t.Service):
			ps.add(tp+".service", fmt.Sprintf("%q is not a service name: 1-255 letters, digits, '_' or '-'", t.Service))
		}
	case target.KindKubernetes:
		for _, k := range []string{"kubeconfig", "context", "namespace", "resource", "name"} {
			allowed[k] = true
		}
		switch {
		case t.Namespace == "":
			ps.add(tp+".namespace", "required: the workload's namespace")
		case !dnsLabelRE.MatchString(t.Namespace):
			ps.add(tp+".namespace", fmt.Sprintf("%q is not a namespace name: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit", t.Namespace))
		}
		switch {
		case t.Resource == "":
			ps.add(tp+".resource", `required: the workload's plural resource ("deployments", "statefulsets", or "RESOURCE.GROUP")`)
		case len(t.Resource) > 253 || !resourceRE.MatchString(t.Resource):
			ps.add(tp+".resource", fmt.Sprintf(`%q is not a plural resource name such as "deployments" or "rollouts.argoproj.io"`, t.Resource))
		}
		switch {
		case t.Name == "":
			ps.add(tp+".name", "required: the workload's name")
		case len(t.Name) > 253 || !dnsSubdomainRE.MatchString(t.Name):
			ps.add(tp+".name", fmt.Sprintf("%q is not an object name: at most 253 lowercase letters, digits, '-' or '.'", t.Name))
		}
		if strings.ContainsFunc(t.Kubeconfig, isControl) {
			ps.add(tp+".kubeconfig", "must be printable characters")
		}
		if t.Context != "" && t.Kubeconfig == "" {
			ps.add(tp+".context", "needs kubeconfig: the in-cluster config has no contexts")
		}
		if strings.ContainsFunc(t.Context, isControl) {
			ps.add(tp+".context", "must be printable characters")
		}
	default:
		ps.add(tp+".kind", fmt.Sprintf("%q is not a kind of target: one of %s", t.Kind, kindList()))
		return
	}
	if target.Kind(t.Kind) != target.KindASG && g.ASG != "" {
		ps.add(path+".asg", fmt.Sprintf("a %s target has no Auto Scaling group: set either asg or target", t.Kind))
	}
	for _, f := range []struct{ key, value string }{{"name", t.Name}, {"cluster", t.Cluster}, {"service", t.Service},
		{"kubeconfig", t.Kubeconfig}, {"context", t.Context}, {"namespace", t.Namespace}, {"resource", t.Resource}} {
		if f.value != "" && !allowed[f.key] {
			ps.add(tp+"."+f.key, fmt.Sprintf("not a field of a %s target", t.Kind))
		}
	}
	g.checkAWS(ps, path+".aws")
}

func (g *Group) checkAWS(ps *problems, path string) {
	a := g.AWS
	if a.Region != "" && !regionRE.MatchString(a.Region) {
		ps.add(path+".region", fmt.Sprintf("%q is not a region name such as \"eu-west-1\"", a.Region))
	}
	if a.RoleARN != "" && !roleARNRE.MatchString(a.RoleARN) {
		ps.add(path+".role_arn", fmt.Sprintf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", a.RoleARN))
	}
	if a.ExternalID != "" {
		if a.RoleARN == "" {
			ps.add(path+".external_id", "needs role_arn: an external id is sent only when assuming a role")
		} else if len(a.ExternalID) < 2 || len(a.ExternalID) > 1224 || !externalIDRE.MatchString(a.ExternalID) {
			ps.add(path+".external_id", "must be 2 to 1224 letters, digits or +=,.@:/-")
		}
	}
	if a.SessionName != "" {
		if a.RoleARN == "" {
			ps.add(path+".session_name", "needs role_arn: a session name is given only when assuming a role")
		} else if !sessionNameRE.MatchString(a.SessionName) {
			ps.add(path+".session_name", "must be 2 to 64 letters, digits or +=,.@-")
		}
	}
}

func kindList() string {
	s := make([]string, len(target.Kinds))
	for i, k := range target.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// targetIdentity names the target a group manages as AWS and Kubernetes
// do, for finding two groups on one target: the account (from the role's
// ARN; "" for the daemon's own), the region (the daemon's, defaultRegion,
// when the group gives none), and the resource in its canonical form
// (deployments and statefulsets with their group, apps). Two roles into
// one account reach the same targets.
func (g Group) targetIdentity(defaultRegion string) string {
	region := cmp.Or(g.AWS.Region, defaultRegion)
	account := ""
	if _, rest, ok := strings.Cut(g.AWS.RoleARN, ":iam::"); ok {
		account, _, _ = strings.Cut(rest, ":")
	}
	switch g.Kind() {
	case target.KindKubernetes:
		// The API server maps the singular too, and the bare name of an
		// apps resource to its group.
		resource := strings.TrimSuffix(g.Target.Resource, ".apps")
		switch resource {
		case "deployment", "deployments":
			resource = "deployments.apps"
		case "statefulset", "statefulsets":
			resource = "statefulsets.apps"
		default:
			resource = g.Target.Resource
		}
		return "kubernetes\x00" + g.Target.Kubeconfig + "\x00" + g.Target.Context + "\x00" + g.Target.Namespace + "\x00" + resource + "\x00" + g.Target.Name
	case target.KindECSService:
		return "ecs_service\x00" + account + "\x00" + region + "\x00" + g.TargetID()
	}
	return "asg\x00" + account + "\x00" + region + "\x00" + g.ASG
}
