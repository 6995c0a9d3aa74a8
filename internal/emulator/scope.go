package emulator

import (
	"errors"
	"net/http"
	"strings"

	"github.com/headroom-dev/headroom/internal/emulator/appautoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/autoscaling"
	"github.com/headroom-dev/headroom/internal/emulator/cloudwatch"
	"github.com/headroom-dev/headroom/internal/emulator/ecs"
	"github.com/headroom-dev/headroom/internal/emulator/sqs"
	"github.com/headroom-dev/headroom/internal/emulator/sts"
)

// DefaultAccount is the account of the base credentials (AWSConfig's
// AKIDEMULATOR) and of the Server's own AutoScaling, CloudWatch and SQS.
// It is the account id in the emulated SQS's queue URLs, so that a queue
// URL of the default account reads the same as before accounts existed.
const DefaultAccount = sqs.AccountID

// BaseUser is the IAM user the base credentials belong to.
const BaseUser = "arn:aws:iam::" + DefaultAccount + ":user/emulator"

// Base credentials: the long-term key of BaseUser, which AWSConfig signs
// with.
const (
	BaseAccessKeyID     = "AKIDEMULATOR"
	BaseSecretAccessKey = "emulator-secret"
)

// Scope is the state of one account in one Region: each service's own, as
// AWS keeps them apart. A request is served by the scope of its caller's
// account and the Region of its signature.
type Scope struct {
	Account string
	Region  string

	AutoScaling *autoscaling.Service
	CloudWatch  *cloudwatch.Service
	SQS         *sqs.Service
	ECS         *ecs.Service
	AppScaling  *appautoscaling.Service

	// endpoints routes a service's requests to its state in this scope.
	endpoints map[string]endpoint
}

// endpoint is one service of a scope: its handler and how it writes errors
// in its own protocol.
type endpoint struct {
	http.Handler
	writeError func(w http.ResponseWriter, status int, code, message string)
}

type scopeKey struct{ account, region string }

// newScope builds the services of one account and Region. A service is
// added to every scope by one entry here (and its field on Scope).
func (s *Server) newScope(account, region string) *Scope {
	sc := &Scope{Account: account, Region: region}
	sc.AutoScaling = autoscaling.New(s.clk)
	sc.AutoScaling.SetAccount(account, region)
	sc.CloudWatch = cloudwatch.New(s.clk)
	sc.SQS = sqs.New(s.clk, s.URL)
	sc.SQS.SetAccount(account, region)
	sc.ECS = ecs.New(s.clk)
	sc.ECS.SetAccount(account, region)
	sc.AppScaling = appautoscaling.New(s.clk, sc.ECS)
	sc.AppScaling.SetAccount(account, region)
	// A read of a service sees the scheduled actions due by now.
	sc.ECS.BeforeRequest = sc.AppScaling.Run
	sc.endpoints = map[string]endpoint{
		ServiceAutoScaling: {sc.AutoScaling, autoscaling.WriteError},
		ServiceCloudWatch:  {sc.CloudWatch, cloudwatch.WriteError},
		ServiceSQS:         {sc.SQS, sqs.WriteError},
		ServiceECS:         {sc.ECS, ecs.WriteError},
		ServiceAppScaling:  {sc.AppScaling, appautoscaling.WriteError},
	}
	return sc
}

// endpoint returns the scope's service called name; Auto Scaling for a
// name it does not hold, as route sends it what no other service claims.
func (sc *Scope) endpoint(name string) endpoint {
	if e, ok := sc.endpoints[name]; ok {
		return e
	}
	return sc.endpoints[ServiceAutoScaling]
}

// In returns the state of account in region, made empty on first use.
// In(DefaultAccount, Region) is the Server's own AutoScaling, CloudWatch
// and SQS.
func (s *Server) In(account, region string) *Scope {
	s.scopesMu.Lock()
	defer s.scopesMu.Unlock()
	k := scopeKey{account, region}
	sc, ok := s.scopes[k]
	if !ok {
		sc = s.newScope(account, region)
		s.scopes[k] = sc
	}
	return sc
}

// AddRole defines an IAM role that AssumeRole can assume, in the account
// its ARN names (arn:aws:iam::<account>:role/<name>). A non-empty
// externalID must be given by every AssumeRole of the role; "" requires
// none.
func (s *Server) AddRole(arn, externalID string) error {
	return s.STS.AddRole(arn, externalID)
}

// RefuseUnknownKeys makes the server refuse, as AWS does, a request
// signed with a long-term access key it does not know (403
// InvalidClientTokenId) and an unsigned request (403
// MissingAuthenticationToken). By default both are served as BaseUser's
// (a Call records the key a request was signed with), so that a client
// with any static credentials, or curl, works; temporary credentials are
// always checked.
func (s *Server) RefuseUnknownKeys() {
	s.refuseUnsigned.Store(true)
	_ = s.STS.TrustUnknownKeys("") // "" cannot fail
}

// signer is what a request's SigV4 Authorization header says of it.
type signer struct {
	accessKeyID string
	region      string
	service     string // the signing name: autoscaling, monitoring, sqs, sts
}

// parseAuthorization reads the Credential of a SigV4 Authorization header,
// "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
// SignedHeaders=..., Signature=..."; ok is false when there is none.
func parseAuthorization(h string) (signer, bool) {
	algo, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || algo != "AWS4-HMAC-SHA256" {
		return signer{}, false
	}
	for part := range strings.SplitSeq(rest, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		f := strings.Split(v, "/")
		if len(f) != 5 || f[0] == "" || f[4] != "aws4_request" {
			return signer{}, false
		}
		return signer{accessKeyID: f[0], region: f[2], service: f[3]}, true
	}
	return signer{}, false
}

// baseIdentity is the caller of an unsigned request: the base user.
func baseIdentity() sts.Identity {
	return sts.Identity{Account: DefaultAccount, ARN: BaseUser, UserID: BaseAccessKeyID, AccessKeyID: BaseAccessKeyID}
}

// authenticate returns who made r and in which Region: the identity of the
// access key of its signature and the signature's Region. An unsigned
// request is the base user's in the default Region (unless
// RefuseUnknownKeys), so that a request made by hand (curl, a protocol
// test) is served as before accounts existed. A refused key yields its
// access key id alone and the reason.
func (s *Server) authenticate(r *http.Request) (sts.Identity, string, *sts.AuthError) {
	sig, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok && s.refuseUnsigned.Load() {
		return sts.Identity{}, Region, &sts.AuthError{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	}
	if !ok {
		return baseIdentity(), Region, nil
	}
	id, err := s.STS.Authenticate(sig.accessKeyID, r.Header.Get("X-Amz-Security-Token"))
	if aerr := (*sts.AuthError)(nil); errors.As(err, &aerr) {
		return sts.Identity{AccessKeyID: sig.accessKeyID}, sig.region, aerr
	}
	return id, sig.region, nil
}

// endpoint returns the service that answers a request of account in
// region: STS, which is global, or the service of that scope.
func (s *Server) endpoint(service, account, region string) endpoint {
	if service == ServiceSTS {
		return endpoint{s.STS, sts.WriteError}
	}
	return s.In(account, region).endpoint(service)
}
