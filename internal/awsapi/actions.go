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
	// The campaigns queue (internal/intake), read by the leader when
	// campaigns.queue_url is set.
	"sqs:DeleteMessage",
	"sqs:GetQueueAttributes",
	"sqs:GetQueueUrl",
	"sqs:ReceiveMessage",
}

// iamPrefix maps the SDK's service ids to IAM's action prefixes.
var iamPrefix = map[string]string{
	"Auto Scaling": "autoscaling",
	"CloudWatch":   "cloudwatch",
	"SQS":          "sqs",
	"DynamoDB":     "dynamodb",
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
