package config

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/internal/target"
)

// targetDoc is a config with one group of each kind, in the forms the
// documentation shows.
const targetDoc = `
region: us-east-1
groups:
  - name: workers
    asg: workers-asg
    max: 20
    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}, target: 60}}]
  - name: api
    target: {kind: ecs_service, cluster: prod, service: api}
    aws: {region: eu-west-1, role_arn: "arn:aws:iam::111111111111:role/headroom-target", external_id: "acme-7f3a"}
    max: 50
    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}]
  - target: {kind: kubernetes, kubeconfig: /etc/headroom/acme.kubeconfig, context: acme, namespace: rewards, resource: deployments, name: reward-workers}
    max: 30
    policies: [{name: cpu, target_tracking: {metric: {namespace: App, name: Busy, stat: Average}, target: 60}}]
  - name: batch
    target: {kind: asg, name: batch-asg}
    aws: {region: us-west-2}
    max: 5
    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}, target: 60}}]
`

func TestTargetsParse(t *testing.T) {
	c := mustParse(t, targetDoc)
	want := []struct {
		name, asg string
		kind      target.Kind
		id, key   string
		account   target.Account
	}{
		{"workers", "workers-asg", target.KindASG, "workers-asg", "workers-asg", target.Account{}},
		{"api", "", target.KindECSService, "prod/api", "ecs_service:eu-west-1|arn:aws:iam::111111111111:role/headroom-target:prod/api",
			target.Account{Region: "eu-west-1", RoleARN: "arn:aws:iam::111111111111:role/headroom-target", ExternalID: "acme-7f3a", SessionName: DefaultSessionName}},
		// A kubernetes group's name defaults to the workload's.
		{"reward-workers", "", target.KindKubernetes, "rewards/deployments/reward-workers", "kubernetes:/etc/headroom/acme.kubeconfig#acme:rewards/deployments/reward-workers", target.Account{}},
		// target {kind: asg} sets asg, so the two forms read alike.
		{"batch", "batch-asg", target.KindASG, "batch-asg", "asg:us-west-2|:batch-asg", target.Account{Region: "us-west-2"}},
	}
	if len(c.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(c.Groups), len(want))
	}
	for i, w := range want {
		g := c.Groups[i]
		if g.Name != w.name || g.ASG != w.asg || g.Kind() != w.kind || g.TargetID() != w.id || g.TargetKey() != w.key || g.AWS.Account() != w.account {
			t.Errorf("groups[%d] = name %q asg %q kind %q id %q key %q account %+v, want %+v", i, g.Name, g.ASG, g.Kind(), g.TargetID(), g.TargetKey(), g.AWS.Account(), w)
		}
	}
}

// TestTargetProblems breaks targetDoc one field at a time: each problem is
// reported on its own path, with its reason.
func TestTargetProblems(t *testing.T) {
	tests := []struct {
		name          string
		from, to      string
		field, reason string
	}{
		{"unknown kind", "kind: ecs_service", "kind: lambda", "groups[1].target.kind", `"lambda" is not a kind of target: one of asg, ecs_service, kubernetes`},
		{"kind missing", "{kind: ecs_service, cluster", "{cluster", "groups[1].target.kind", "required: one of asg, ecs_service, kubernetes"},
		{"ecs cluster missing", "cluster: prod, ", "", "groups[1].target.cluster", "required"},
		{"ecs service missing", ", service: api}", "}", "groups[1].target.service", "required"},
		{"ecs cluster syntax", "cluster: prod,", "cluster: 'prod east',", "groups[1].target.cluster", "not a cluster name"},
		{"ecs cluster ARN", "cluster: prod,", "cluster: 'arn:aws:ecs:eu-west-1:111111111111:cluster/prod',", "groups[1].target.cluster", "not a cluster name"},
		{"field of another kind", "service: api}", "service: api, namespace: x}", "groups[1].target.namespace", "not a field of a ecs_service target"},
		{"asg beside a non-asg target", "  - name: api\n", "  - name: api\n    asg: api-asg\n", "groups[1].asg", "set either asg or target"},
		{"asg name missing", "{kind: asg, name: batch-asg}", "{kind: asg}", "groups[3].target.name", "required"},
		{"asg differs from target name", "  - name: batch\n", "  - name: batch\n    asg: other\n", "groups[3].asg", "differs from target.name"},
		{"kube namespace missing", "namespace: rewards, ", "", "groups[2].target.namespace", "required"},
		{"kube namespace syntax", "namespace: rewards", "namespace: Rewards", "groups[2].target.namespace", "not a namespace name"},
		{"kube resource missing", "resource: deployments, ", "", "groups[2].target.resource", "required"},
		{"kube resource syntax", "resource: deployments", "resource: Deployments/apps", "groups[2].target.resource", "not a plural resource name"},
		{"kube custom resource", "resource: deployments", "resource: rollouts.argoproj.io", "", ""},
		{"kube name missing", ", name: reward-workers}", "}", "groups[2].target.name", "required"},
		{"kube context without kubeconfig", "kubeconfig: /etc/headroom/acme.kubeconfig, ", "", "groups[2].target.context", "needs kubeconfig"},
		{"kube in-cluster", "kubeconfig: /etc/headroom/acme.kubeconfig, context: acme, ", "", "", ""},
		{"aws region syntax", "region: eu-west-1", "region: Europe", "groups[1].aws.region", "not a region name"},
		{"aws role syntax", `role_arn: "arn:aws:iam::111111111111:role/headroom-target"`, `role_arn: "headroom-target"`, "groups[1].aws.role_arn", "not an IAM role ARN"},
		{"aws external id without role", "aws: {region: us-west-2}", "aws: {external_id: abc}", "groups[3].aws.external_id", "needs role_arn"},
		{"aws external id syntax", `external_id: "acme-7f3a"`, `external_id: "a b"`, "groups[1].aws.external_id", "2 to 1224"},
		{"aws session name syntax", `external_id: "acme-7f3a"`, `external_id: "acme-7f3a", session_name: "x"`, "groups[1].aws.session_name", "2 to 64"},
		{"unknown key in target", "service: api}", "service: api, replicas: 3}", "groups[1].target.replicas", "unknown"},
		{"the same service twice", "  - target: {kind: kubernetes", "  - target: {kind: ecs_service, cluster: prod, service: api}\n    aws: {region: eu-west-1, role_arn: \"arn:aws:iam::111111111111:role/headroom-target\"}\n    name: api2\n    max: 1\n    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}]\n  - target: {kind: kubernetes", "groups[2].target", "already managed by groups[1]"},
		{"one service in two regions", "  - target: {kind: kubernetes", "  - target: {kind: ecs_service, cluster: prod, service: api}\n    aws: {region: eu-west-2, role_arn: \"arn:aws:iam::111111111111:role/headroom-target\"}\n    name: api2\n    max: 1\n    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}]\n  - target: {kind: kubernetes", "", ""},
		{"one asg name twice", "aws: {region: us-west-2}", "", "groups[3].target", `"workers-asg" is already managed by groups[0]`},
		{"one asg name in two regions", "name: batch-asg", "name: workers-asg", "", ""},
		{"one asg named in the daemon's region twice", "aws: {region: us-west-2}", "aws: {region: us-east-1}", "groups[3].target", `"workers-asg" is already managed by groups[0]`},
		{"one service through two roles of its account", "  - target: {kind: kubernetes", "  - target: {kind: ecs_service, cluster: prod, service: api}\n    aws: {region: eu-west-1, role_arn: \"arn:aws:iam::111111111111:role/other\"}\n    name: api2\n    max: 1\n    policies: [{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}]\n  - target: {kind: kubernetes", "groups[2].target", "already managed by groups[1]"},
		{"one workload by two spellings of its resource", "  - name: batch\n", "  - target: {kind: kubernetes, kubeconfig: /etc/headroom/acme.kubeconfig, context: acme, namespace: rewards, resource: deployment.apps, name: reward-workers}\n    name: again\n    max: 1\n    policies: [{name: cpu, target_tracking: {metric: {namespace: App, name: Busy, stat: Average}, target: 60}}]\n  - name: batch\n", "groups[3].target", "already managed by groups[2]"},
		{"one bare queue name in two accounts", "{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}", "{name: jobs, backlog: {acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}}", "groups[1].aws", `queue "jobs" is also named by groups[0], in another account or region`},
		{"one queue URL in two accounts", "{name: cpu, target_tracking: {metric: {namespace: AWS/ECS, name: CPUUtilization, stat: Average}, target: 60}}", "{name: jobs, backlog: {acceptable_latency: 60s, queues: [{queue: 'https://sqs.us-east-1.amazonaws.com/000000000000/jobs', seconds_per_message: 1}]}}", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(targetDoc, tc.from) {
				t.Fatalf("targetDoc has no %q", tc.from)
			}
			doc := strings.Replace(targetDoc, tc.from, tc.to, 1)
			switch tc.name {
			case "one asg name twice", "one asg named in the daemon's region twice":
				doc = strings.Replace(doc, "name: batch-asg", "name: workers-asg", 1)
			case "one bare queue name in two accounts":
				doc = strings.Replace(doc, "{name: cpu, target_tracking: {metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}, target: 60}}", "{name: jobs, backlog: {acceptable_latency: 60s, queues: [{queue: jobs, seconds_per_message: 1}]}}", 1)
			case "one queue URL in two accounts":
				doc = strings.Replace(doc, "{name: cpu, target_tracking: {metric: {namespace: AWS/EC2, name: CPUUtilization, stat: Average}, target: 60}}", "{name: jobs, backlog: {acceptable_latency: 60s, queues: [{queue: 'https://sqs.us-east-1.amazonaws.com/000000000000/jobs', seconds_per_message: 1}]}}", 1)
			}
			_, err := Parse([]byte(doc))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			ps := problemsOf(t, err)
			for _, p := range ps {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("no problem on %s containing %q; got %v", tc.field, tc.reason, ps)
		})
	}
}
