package awsapi

// Actions lists every AWS API action Headroom's production code calls, as
// IAM spells them. It is the one place that set is kept: the IAM policy in
// deploy/ is tested against it, and the end-to-end tests check that every
// call the daemon makes is in it.
var Actions = []string{
	"autoscaling:DeleteScheduledAction",
	"autoscaling:DescribeAutoScalingGroups",
	"autoscaling:DescribeInstanceRefreshes",
	"autoscaling:DescribeScheduledActions",
	"autoscaling:PutScheduledUpdateGroupAction",
	"autoscaling:SetDesiredCapacity",
	"autoscaling:UpdateAutoScalingGroup",
	"cloudwatch:GetMetricData",
	"sqs:GetQueueAttributes",
	"sqs:GetQueueUrl",
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
