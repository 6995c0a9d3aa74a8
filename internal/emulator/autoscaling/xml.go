package autoscaling

// XML shapes of the results, named and nested as the SDK's schemas read
// them (lists wrap their items in <member>).

type xmlDescribeGroupsResult struct {
	AutoScalingGroups []xmlGroup `xml:"AutoScalingGroups>member"`
	NextToken         string     `xml:",omitempty"`
}

type xmlGroup struct {
	AutoScalingGroupARN              string
	AutoScalingGroupName             string
	AvailabilityZones                []string `xml:"AvailabilityZones>member"`
	CreatedTime                      string
	DefaultCooldown                  int
	DefaultInstanceWarmup            *int `xml:",omitempty"`
	DesiredCapacity                  int
	DesiredCapacityType              string `xml:",omitempty"`
	HealthCheckGracePeriod           int
	HealthCheckType                  string
	Instances                        []xmlInstance      `xml:"Instances>member"`
	LaunchConfigurationName          string             `xml:",omitempty"`
	LaunchTemplate                   *xmlLaunchTemplate `xml:",omitempty"`
	MaxSize                          int
	MinSize                          int
	MixedInstancesPolicy             *tree `xml:",omitempty"`
	NewInstancesProtectedFromScaleIn bool
	ServiceLinkedRoleARN             string
	SuspendedProcesses               []xmlSuspendedProcess     `xml:"SuspendedProcesses>member"`
	Tags                             []xmlTag                  `xml:"Tags>member"`
	TerminationPolicies              []string                  `xml:"TerminationPolicies>member"`
	VPCZoneIdentifier                string                    `xml:",omitempty"`
	WarmPoolConfiguration            *xmlWarmPoolConfiguration `xml:",omitempty"`
	WarmPoolSize                     *int                      `xml:",omitempty"`
	CapacityRebalance                bool
	MaxInstanceLifetime              *int `xml:",omitempty"`
}

type xmlInstance struct {
	AvailabilityZone     string
	HealthStatus         string
	InstanceId           string
	InstanceType         string
	LaunchTemplate       *xmlLaunchTemplate `xml:",omitempty"`
	LifecycleState       string
	ProtectedFromScaleIn bool
	WeightedCapacity     string `xml:",omitempty"`
}

type xmlLaunchTemplate struct {
	LaunchTemplateId   string `xml:",omitempty"`
	LaunchTemplateName string `xml:",omitempty"`
	Version            string `xml:",omitempty"`
}

type xmlSuspendedProcess struct {
	ProcessName      string
	SuspensionReason string
}

type xmlTag struct {
	Key               string
	PropagateAtLaunch bool
	ResourceId        string
	ResourceType      string
	Value             string
}

type xmlActivitiesResult struct {
	Activities []xmlActivity `xml:"Activities>member"`
	NextToken  string        `xml:",omitempty"`
}

type xmlActivity struct {
	ActivityId           string
	AutoScalingGroupARN  string
	AutoScalingGroupName string
	Cause                string
	Description          string
	Details              string
	EndTime              string `xml:",omitempty"`
	Progress             int
	StartTime            string
	StatusCode           string
	StatusMessage        string `xml:",omitempty"`
}

type xmlScheduledActionsResult struct {
	NextToken                   string               `xml:",omitempty"`
	ScheduledUpdateGroupActions []xmlScheduledAction `xml:"ScheduledUpdateGroupActions>member"`
}

type xmlScheduledAction struct {
	AutoScalingGroupName string
	DesiredCapacity      *int   `xml:",omitempty"`
	EndTime              string `xml:",omitempty"`
	MaxSize              *int   `xml:",omitempty"`
	MinSize              *int   `xml:",omitempty"`
	Recurrence           string `xml:",omitempty"`
	ScheduledActionARN   string
	ScheduledActionName  string
	StartTime            string `xml:",omitempty"`
	Time                 string `xml:",omitempty"`
	TimeZone             string `xml:",omitempty"`
}

type xmlRefreshIDResult struct {
	InstanceRefreshId string
}

type xmlRefreshesResult struct {
	InstanceRefreshes []xmlRefresh `xml:"InstanceRefreshes>member"`
	NextToken         string       `xml:",omitempty"`
}

type xmlRefresh struct {
	AutoScalingGroupName string
	EndTime              string `xml:",omitempty"`
	InstanceRefreshId    string
	InstancesToUpdate    int
	PercentageComplete   int
	StartTime            string
	Status               string
	StatusReason         string `xml:",omitempty"`
}

type xmlWarmPoolConfiguration struct {
	InstanceReusePolicy      *xmlInstanceReusePolicy `xml:",omitempty"`
	MaxGroupPreparedCapacity *int                    `xml:",omitempty"`
	MinSize                  int
	PoolState                string
	Status                   string `xml:",omitempty"`
}

type xmlInstanceReusePolicy struct {
	ReuseOnScaleIn bool
}

type xmlWarmPoolResult struct {
	Instances             []xmlInstance             `xml:"Instances>member"`
	NextToken             string                    `xml:",omitempty"`
	WarmPoolConfiguration *xmlWarmPoolConfiguration `xml:",omitempty"`
}
