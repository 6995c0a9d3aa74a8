package emulator_test

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	asgsdk "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	cwsdk "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	sqssdk "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator"
	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
)

const (
	otherAccount = "222222222222"
	roleARN      = "arn:aws:iam::" + otherAccount + ":role/ops/headroom"
	externalID   = "headroom-ext-1"
	// assumedARN is the principal of roleARN's session "headroom".
	assumedARN = "arn:aws:sts::" + otherAccount + ":assumed-role/headroom/headroom"
)

// startWithRole starts an emulator on clk with roleARN defined.
func startWithRole(t *testing.T, clk clock.Clock) *emulator.Server {
	t.Helper()
	s := emulator.StartTest(t, clk)
	if err := s.AddRole(roleARN, externalID); err != nil {
		t.Fatalf("AddRole: %v", err)
	}
	return s
}

// roleConfig is s's AWSConfig with the credentials of roleARN, assumed
// through the emulator's STS with the base credentials and cached as the
// SDK caches them.
func roleConfig(s *emulator.Server, region string) (aws.Config, *aws.CredentialsCache) {
	base := s.AWSConfig()
	provider := stscreds.NewAssumeRoleProvider(stssdk.NewFromConfig(base), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "headroom"
		o.ExternalID = aws.String(externalID)
	})
	cache := aws.NewCredentialsCache(provider)
	cfg := base.Copy()
	cfg.Region = region
	cfg.Credentials = cache
	return cfg, cache
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestAssumeRole(t *testing.T) {
	cases := []struct {
		name       string
		role       string
		externalID *string
		duration   *int32
		wantCode   string
		wantStatus int
		wantExpiry time.Duration
	}{
		{name: "right external id", role: roleARN, externalID: aws.String(externalID), wantExpiry: time.Hour},
		{name: "shorter session", role: roleARN, externalID: aws.String(externalID), duration: aws.Int32(900), wantExpiry: 15 * time.Minute},
		{name: "wrong external id", role: roleARN, externalID: aws.String("someone-else"), wantCode: "AccessDenied", wantStatus: http.StatusForbidden},
		{name: "missing external id", role: roleARN, wantCode: "AccessDenied", wantStatus: http.StatusForbidden},
		{name: "unknown role", role: "arn:aws:iam::" + otherAccount + ":role/nobody", externalID: aws.String(externalID), wantCode: "AccessDenied", wantStatus: http.StatusForbidden},
		{name: "session beyond the role's maximum", role: roleARN, externalID: aws.String(externalID), duration: aws.Int32(7200), wantCode: "ValidationError", wantStatus: http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(start)
			s := startWithRole(t, clk)
			client := stssdk.NewFromConfig(s.AWSConfig())
			out, err := client.AssumeRole(context.Background(), &stssdk.AssumeRoleInput{
				RoleArn: aws.String(tc.role), RoleSessionName: aws.String("headroom"),
				ExternalId: tc.externalID, DurationSeconds: tc.duration,
			})
			if tc.wantCode != "" {
				if errorCode(err) != tc.wantCode || httpStatus(err) != tc.wantStatus {
					t.Fatalf("AssumeRole err = %v (status %d), want %s (%d)", err, httpStatus(err), tc.wantCode, tc.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			c := out.Credentials
			if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
				t.Errorf("credentials = %+v, want an ASIA key, a secret and a session token", c)
			}
			if want := start.Add(tc.wantExpiry); !aws.ToTime(c.Expiration).Equal(want) {
				t.Errorf("Expiration = %v, want %v", aws.ToTime(c.Expiration), want)
			}
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != assumedARN {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, assumedARN)
			}
			if got := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(got, "AROA") || !strings.HasSuffix(got, ":headroom") {
				t.Errorf("AssumedRoleId = %q, want AROA...:headroom", got)
			}

			// The temporary credentials are the role's.
			cfg := s.AWSConfig()
			cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
			who, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &stssdk.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity as the role: %v", err)
			}
			if aws.ToString(who.Account) != otherAccount || aws.ToString(who.Arn) != assumedARN {
				t.Errorf("GetCallerIdentity = %s %s, want %s %s", aws.ToString(who.Account), aws.ToString(who.Arn), otherAccount, assumedARN)
			}
		})
	}
}

func TestBaseCredentialsIdentity(t *testing.T) {
	s := emulator.StartTest(t, clock.NewFake(start))
	who, err := stssdk.NewFromConfig(s.AWSConfig()).GetCallerIdentity(context.Background(), &stssdk.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(who.Account) != emulator.DefaultAccount || aws.ToString(who.Arn) != emulator.BaseUser || aws.ToString(who.UserId) != emulator.BaseAccessKeyID {
		t.Errorf("GetCallerIdentity = %s %s %s, want %s %s %s", aws.ToString(who.Account), aws.ToString(who.Arn), aws.ToString(who.UserId),
			emulator.DefaultAccount, emulator.BaseUser, emulator.BaseAccessKeyID)
	}
}

// TestUnknownKeyRefused checks that every service refuses a key it does
// not know with 403 InvalidClientTokenId in its own error format, and
// records the refusal.
func TestUnknownKeyRefused(t *testing.T) {
	s := emulator.StartTest(t, clock.NewFake(start))
	s.RefuseUnknownKeys()
	cfg := s.AWSConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDUNKNOWN", "secret", "")
	ctx := context.Background()
	cases := []struct {
		service string
		do      func() error
	}{
		{emulator.ServiceAutoScaling, func() error {
			_, err := asgsdk.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
			return err
		}},
		{emulator.ServiceCloudWatch, func() error {
			_, err := cwsdk.NewFromConfig(cfg).ListMetrics(ctx, &cwsdk.ListMetricsInput{})
			return err
		}},
		{emulator.ServiceSQS, func() error {
			_, err := sqssdk.NewFromConfig(cfg).ListQueues(ctx, &sqssdk.ListQueuesInput{})
			return err
		}},
		{emulator.ServiceSTS, func() error {
			_, err := stssdk.NewFromConfig(cfg).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.service, func(t *testing.T) {
			mark := s.Mark()
			err := tc.do()
			if errorCode(err) != "InvalidClientTokenId" || httpStatus(err) != http.StatusForbidden {
				t.Fatalf("err = %v (status %d), want 403 InvalidClientTokenId", err, httpStatus(err))
			}
			calls := s.CallsSince(mark)
			if len(calls) != 1 || calls[0].Service != tc.service || calls[0].Status != http.StatusForbidden ||
				calls[0].AccessKeyID != "AKIDUNKNOWN" || calls[0].Account != "" || calls[0].Principal != "" {
				t.Errorf("calls = %+v, want one refused %s call of AKIDUNKNOWN", calls, tc.service)
			}
		})
	}
}

// TestRoleSeesItsAccount checks that a client with assumed-role
// credentials reads its role's account and no other, and that its calls
// are recorded as the role's.
func TestRoleSeesItsAccount(t *testing.T) {
	s := startWithRole(t, clock.NewFake(start))
	if err := s.AutoScaling.CreateGroup(autoscaling.GroupSpec{Name: "home", Min: 1, Max: 5, Desired: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.In(otherAccount, emulator.Region).AutoScaling.CreateGroup(autoscaling.GroupSpec{Name: "away", Min: 1, Max: 5, Desired: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// groups lists the groups cfg's caller sees, each of whose ARN must
	// name account and cfg's Region.
	groups := func(cfg aws.Config, account string) []string {
		t.Helper()
		out, err := asgsdk.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
		if err != nil {
			t.Fatalf("DescribeAutoScalingGroups: %v", err)
		}
		var names []string
		for _, g := range out.AutoScalingGroups {
			names = append(names, aws.ToString(g.AutoScalingGroupName))
			if arn := aws.ToString(g.AutoScalingGroupARN); !strings.HasPrefix(arn, "arn:aws:autoscaling:"+cfg.Region+":"+account+":") {
				t.Errorf("group ARN %q, want one of account %s in %s", arn, account, cfg.Region)
			}
		}
		return names
	}

	mark := s.Mark()
	cfg, _ := roleConfig(s, emulator.Region)
	if got := groups(cfg, otherAccount); !slices.Equal(got, []string{"away"}) {
		t.Errorf("role sees groups %v, want [away]", got)
	}
	if got := groups(s.AWSConfig(), emulator.DefaultAccount); !slices.Equal(got, []string{"home"}) {
		t.Errorf("base credentials see groups %v, want [home]", got)
	}

	calls := s.CallsSince(mark)
	type who struct{ service, op, account, principal, region string }
	var got []who
	for _, c := range calls {
		got = append(got, who{c.Service, c.Operation, c.Account, c.Principal, c.Region})
	}
	want := []who{
		{emulator.ServiceSTS, "AssumeRole", emulator.DefaultAccount, emulator.BaseUser, emulator.Region},
		{emulator.ServiceAutoScaling, "DescribeAutoScalingGroups", otherAccount, assumedARN, emulator.Region},
		{emulator.ServiceAutoScaling, "DescribeAutoScalingGroups", emulator.DefaultAccount, emulator.BaseUser, emulator.Region},
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n got %+v\nwant %+v", got, want)
	}
	if k := calls[1].AccessKeyID; !strings.HasPrefix(k, "ASIA") {
		t.Errorf("role's call signed with %q, want an ASIA key", k)
	}
}

// TestRegionsSeparate checks that two Regions of one account keep apart,
// for every service, and that the default Region is the Server's own.
func TestRegionsSeparate(t *testing.T) {
	s := emulator.StartTest(t, clock.NewFake(start))
	const west = "us-west-2"
	if err := s.In(emulator.DefaultAccount, west).AutoScaling.CreateGroup(autoscaling.GroupSpec{Name: "west", Min: 1, Max: 5, Desired: 1}); err != nil {
		t.Fatal(err)
	}
	if s.In(emulator.DefaultAccount, emulator.Region).AutoScaling != s.AutoScaling {
		t.Fatal("In(DefaultAccount, Region) is not the Server's own Auto Scaling")
	}
	ctx := context.Background()
	westCfg := s.AWSConfig()
	westCfg.Region = west

	out, err := asgsdk.NewFromConfig(westCfg).DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
	if err != nil || len(out.AutoScalingGroups) != 1 || aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupName) != "west" {
		t.Errorf("us-west-2 groups = %+v, %v; want [west]", out, err)
	}
	out, err = asgsdk.NewFromConfig(s.AWSConfig()).DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
	if err != nil || len(out.AutoScalingGroups) != 0 {
		t.Errorf("us-east-1 groups = %+v, %v; want none", out, err)
	}

	// A queue made over the wire in us-west-2 is there and not here.
	created, err := sqssdk.NewFromConfig(westCfg).CreateQueue(ctx, &sqssdk.CreateQueueInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatalf("CreateQueue in %s: %v", west, err)
	}
	if want := s.URL() + "/" + emulator.DefaultAccount + "/jobs"; aws.ToString(created.QueueUrl) != want {
		t.Errorf("QueueUrl = %q, want %q", aws.ToString(created.QueueUrl), want)
	}
	attrs, err := sqssdk.NewFromConfig(westCfg).GetQueueAttributes(ctx, &sqssdk.GetQueueAttributesInput{QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if want := "arn:aws:sqs:" + west + ":" + emulator.DefaultAccount + ":jobs"; err != nil || attrs.Attributes["QueueArn"] != want {
		t.Errorf("QueueArn = %v, %v; want %q", attrs, err, want)
	}
	if got := s.In(emulator.DefaultAccount, west).SQS.QueueNames(); !slices.Equal(got, []string{"jobs"}) {
		t.Errorf("queues in %s = %v, want [jobs]", west, got)
	}
	if got := s.SQS.QueueNames(); len(got) != 0 {
		t.Errorf("queues in %s = %v, want none", emulator.Region, got)
	}
	// CloudWatch likewise.
	s.In(emulator.DefaultAccount, west).CloudWatch.Put("Headroom/Test", "Depth", nil, start, 1)
	for _, tc := range []struct {
		cfg  aws.Config
		want int
	}{{westCfg, 1}, {s.AWSConfig(), 0}} {
		lm, err := cwsdk.NewFromConfig(tc.cfg).ListMetrics(ctx, &cwsdk.ListMetricsInput{Namespace: aws.String("Headroom/Test")})
		if err != nil || len(lm.Metrics) != tc.want {
			t.Errorf("%s metrics = %+v, %v; want %d", tc.cfg.Region, lm, err, tc.want)
		}
	}
	for _, c := range s.Calls() {
		if c.Operation == "CreateQueue" && c.Region != west {
			t.Errorf("CreateQueue recorded in %q, want %q", c.Region, west)
		}
	}
}

// countAssumeRole counts the AssumeRole calls answered.
func countAssumeRole(s *emulator.Server) int { return s.Count(emulator.ServiceSTS, "AssumeRole") }

// TestExpiredCredentialsRefused checks that temporary credentials past
// their Expiration on the emulator's clock are refused with ExpiredToken
// and that the SDK's cache, invalidated, assumes the role again.
//
// The SDK's cache judges expiry on the host's wall clock, not the
// emulator's, so moving only the emulator's clock leaves it holding the
// credentials: the refusal is what a daemon sees when its clock lags AWS's.
func TestExpiredCredentialsRefused(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clk := clock.NewFake(now)
	s := startWithRole(t, clk)
	cfg, cache := roleConfig(s, emulator.Region)
	client := asgsdk.NewFromConfig(cfg)
	ctx := context.Background()
	describe := func() error {
		_, err := client.DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{})
		return err
	}

	for i := range 2 {
		if err := describe(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := countAssumeRole(s); n != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1: the cache holds credentials until they expire", n)
	}

	clk.Advance(stscreds.DefaultDuration)
	err := describe()
	if errorCode(err) != "ExpiredToken" || httpStatus(err) != http.StatusForbidden {
		t.Fatalf("call at Expiration: err = %v (status %d), want 403 ExpiredToken", err, httpStatus(err))
	}

	cache.Invalidate()
	if err := describe(); err != nil {
		t.Fatalf("call after invalidating the cache: %v", err)
	}
	if n := countAssumeRole(s); n != 2 {
		t.Errorf("AssumeRole calls = %d, want 2", n)
	}
}

// TestExpiredCredentialsRenewed checks that the SDK's cache assumes the
// role again once the credentials' Expiration has passed, and that the
// renewed credentials serve where the old ones are refused.
//
// The cache reads the wall clock, so the emulator's clock starts two
// session lengths before it: the first credentials expire (for the cache)
// as soon as they are issued, but the emulator still takes them. Moving
// the emulator's clock to the wall clock's time expires them there too;
// the next call's credentials, issued at that time, expire in the future
// for both.
func TestExpiredCredentialsRenewed(t *testing.T) {
	wall := time.Now().UTC().Truncate(time.Second)
	clk := clock.NewFake(wall.Add(-2 * stscreds.DefaultDuration))
	s := startWithRole(t, clk)
	cfg, _ := roleConfig(s, emulator.Region)
	client := asgsdk.NewFromConfig(cfg)
	ctx := context.Background()
	describe := func() string {
		t.Helper()
		mark := s.Mark()
		if _, err := client.DescribeAutoScalingGroups(ctx, &asgsdk.DescribeAutoScalingGroupsInput{}); err != nil {
			t.Fatalf("DescribeAutoScalingGroups: %v", err)
		}
		calls := s.CallsSince(mark)
		return calls[len(calls)-1].AccessKeyID
	}

	first := describe()
	if n := countAssumeRole(s); n != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1", n)
	}

	clk.Advance(2 * stscreds.DefaultDuration)
	second := describe()
	if n := countAssumeRole(s); n != 2 {
		t.Fatalf("AssumeRole calls = %d after the emulator's clock passed Expiration, want 2", n)
	}
	if second == first {
		t.Errorf("call signed with the expired key %q, want a renewed one", first)
	}
	if third := describe(); third != second || countAssumeRole(s) != 2 {
		t.Errorf("call signed with %q after %d AssumeRole calls, want %q held by the cache", third, countAssumeRole(s), second)
	}
}

// TestUnknownKeys checks who a request signed with a key the emulator did
// not issue is taken for, by default and after RefuseUnknownKeys.
func TestUnknownKeys(t *testing.T) {
	cases := []struct {
		name      string
		refuse    bool
		key       string
		token     string
		wantCode  string
		principal string
		// wantKey is the key recorded when it is not key.
		wantKey string
	}{
		{name: "long-term key trusted by default", key: "AKIDTEST", principal: emulator.BaseUser},
		{name: "long-term key refused", refuse: true, key: "AKIDTEST", wantCode: "InvalidClientTokenId"},
		{name: "base key served when unknown keys are refused", refuse: true, key: emulator.BaseAccessKeyID, principal: emulator.BaseUser},
		{name: "unknown temporary key refused even by default", key: "ASIAUNKNOWN", token: "token", wantCode: "InvalidClientTokenId"},
		{name: "base key with a session token refused", key: emulator.BaseAccessKeyID, token: "token", wantCode: "InvalidClientTokenId"},
		{name: "unsigned request trusted by default", principal: emulator.BaseUser, wantKey: emulator.BaseAccessKeyID},
		{name: "unsigned request refused", refuse: true, wantCode: "MissingAuthenticationToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := emulator.StartTest(t, clock.NewFake(start))
			if tc.refuse {
				s.RefuseUnknownKeys()
			}
			cfg := s.AWSConfig()
			cfg.Credentials = credentials.NewStaticCredentialsProvider(tc.key, "secret", tc.token)
			if tc.key == "" {
				cfg.Credentials = aws.AnonymousCredentials{}
			}
			mark := s.Mark()
			_, err := asgsdk.NewFromConfig(cfg).DescribeAutoScalingGroups(context.Background(), &asgsdk.DescribeAutoScalingGroupsInput{})
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			calls := s.CallsSince(mark)
			wantKey := cmp.Or(tc.wantKey, tc.key)
			if len(calls) != 1 || calls[0].Principal != tc.principal || calls[0].AccessKeyID != wantKey {
				t.Errorf("calls = %+v, want one by %q signed with %q", calls, tc.principal, wantKey)
			}
		})
	}
}

// TestFaultOfOneAccount checks that a fault limited to an account or a
// Region hits only that account's or Region's calls.
func TestFaultOfOneAccount(t *testing.T) {
	cases := []struct {
		name               string
		fault              emulator.Fault
		wantRole, wantBase string
	}{
		{name: "role's account", fault: emulator.Fault{Account: otherAccount}, wantRole: "Throttling"},
		{name: "default account", fault: emulator.Fault{Account: emulator.DefaultAccount}, wantBase: "Throttling"},
		{name: "another Region", fault: emulator.Fault{Region: "eu-west-1"}},
		{name: "every account", fault: emulator.Fault{}, wantRole: "Throttling", wantBase: "Throttling"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startWithRole(t, clock.NewFake(start))
			roleCfg, cache := roleConfig(s, emulator.Region)
			// Assume the role before the fault, which would hit STS too.
			if _, err := cache.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			f := emulator.Throttle(emulator.ServiceAutoScaling, "", 1, time.Time{}, time.Time{})
			f.Account, f.Region = tc.fault.Account, tc.fault.Region
			s.AddFault(f)
			for _, c := range []struct {
				who  string
				cfg  aws.Config
				want string
			}{{"role", roleCfg, tc.wantRole}, {"base", s.AWSConfig(), tc.wantBase}} {
				_, err := asgsdk.NewFromConfig(c.cfg).DescribeAutoScalingGroups(context.Background(), &asgsdk.DescribeAutoScalingGroupsInput{})
				if got := errorCode(err); got != c.want {
					t.Errorf("%s's call: err = %v, want code %q", c.who, err, c.want)
				}
			}
		})
	}
}
