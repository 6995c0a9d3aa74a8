package awsapi

// Actions lists every AWS API action Headroom's production code calls, as
// IAM spells them. It is the one place that set is kept: the IAM policy in
// deploy/ is tested against it, and the end-to-end tests check that every
// call the daemon makes is in it.
var Actions = []string{
	"autoscaling:CreateOrUpdateTags",
	"autoscaling:DeleteScheduledAction",
	"autoscaling:DeleteTags",
	"autoscaling:DescribeAutoScalingGroups",
	"autoscaling:DescribeInstanceRefreshes",
	"autoscaling:DescribePolicies",
	"autoscaling:DescribeScheduledActions",
	"autoscaling:DescribeWarmPool",
	"autoscaling:PutScheduledUpdateGroupAction",
	"autoscaling:PutWarmPool",
	"autoscaling:SetDesiredCapacity",
	"autoscaling:UpdateAutoScalingGroup",
	// ECS service targets (internal/target/ecs): the services, and their
	// Application Auto Scaling scalable targets, which bound them, name
	// other controllers (conflicts) and keep the mirrored boosts.
	"application-autoscaling:DeleteScheduledAction",
	"application-autoscaling:DescribeScalableTargets",
	"application-autoscaling:DescribeScalingPolicies",
	"application-autoscaling:DescribeScheduledActions",
	"application-autoscaling:PutScheduledAction",
	"application-autoscaling:RegisterScalableTarget",
	"cloudwatch:GetMetricData",
	// The DynamoDB store (internal/store/dynamo) in fleet mode. CreateTable
	// and UpdateTimeToLive are not here: the table is infrastructure
	// (terraform/dynamodb.tf creates it with its TTL), and the daemon
	// never calls them.
	"dynamodb:BatchWriteItem",
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	// UpdateItem merges a demand history bucket atomically (ADD).
	"dynamodb:UpdateItem",
	"ecs:DescribeServices",
	"ecs:UpdateService",
	// The campaigns queue (internal/intake), read by the leader when
	// campaigns.queue_url is set.
	"sqs:DeleteMessage",
	"sqs:GetQueueAttributes",
	"sqs:GetQueueUrl",
	"sqs:ReceiveMessage",
	// A group of another account (aws.role_arn) assumes its role.
	"sts:AssumeRole",
}

// iamPrefix maps the SDK's service ids to IAM's action prefixes.
var iamPrefix = map[string]string{
	"Auto Scaling": "autoscaling",
	"CloudWatch":   "cloudwatch",
	"SQS":          "sqs",
	"DynamoDB":     "dynamodb",
	"ECS":          "ecs",
	"STS":          "sts",
	// Application Auto Scaling's SDK service id.
	"Application Auto Scaling": "application-autoscaling",
}

// Action returns the IAM action of an SDK service id and operation, for
// example "autoscaling:SetDesiredCapacity".
func Action(service, operation string) string {
	p, ok := iamPrefix[service]
	if !ok {
		return service + ":" + operation
	}
	return p + ":" + operation
}
