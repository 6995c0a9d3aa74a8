// Package sts emulates the AWS Security Token Service over its awsQuery
// protocol (AssumeRole, GetCallerIdentity) and keeps the emulator's
// identities: the access keys it knows, the account and principal each
// belongs to, and the roles that may be assumed, on an injected clock.
//
// It checks who a request is from, not what it may do: any known principal
// may assume any role it names, provided it gives the role's external id.
// Signatures are not verified; the access key id, and for temporary
// credentials the session token, identify the caller.
package sts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/emulator/awsquery"
)

const (
	// apiVersion is the only version of the STS API.
	apiVersion = "2011-06-15"
	// xmlNamespace is the namespace of every STS response.
	xmlNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	// maxBodyBytes bounds a request body; an AssumeRole without session
	// policies is a few hundred bytes.
	maxBodyBytes = 64 << 10

	// DefaultDuration is a session's length when AssumeRole names none
	// (DurationSeconds defaults to 3600, STS API reference, AssumeRole).
	DefaultDuration = time.Hour
	// MinDuration is the shortest session AssumeRole grants
	// (DurationSeconds minimum 900, STS API reference, AssumeRole).
	MinDuration = 15 * time.Minute
	// MaxDuration is a role's maximum session duration; the emulator gives
	// every role IAM's default of one hour (IAM API reference, CreateRole,
	// MaxSessionDuration), so a longer DurationSeconds is refused as AWS
	// refuses it for such a role.
	MaxDuration = time.Hour
)

// Error codes and messages of authentication failures, as AWS's awsQuery
// services answer them.
const (
	CodeInvalidClientTokenID = "InvalidClientTokenId"
	CodeExpiredToken         = "ExpiredToken"
	CodeAccessDenied         = "AccessDenied"

	MessageInvalidClientTokenID = "The security token included in the request is invalid."
	MessageExpiredToken         = "The security token included in the request is expired"
)

var (
	// roleARN is an IAM role ARN: arn:aws:iam::<12 digits>:role/<path/>name.
	roleARN = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	// userARN is an IAM user ARN: arn:aws:iam::<12 digits>:user/<path/>name.
	userARN = regexp.MustCompile(`^arn:aws:iam::(\d{12}):user/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	// sessionName is RoleSessionName's pattern and length (STS API
	// reference, AssumeRole: 2-64 characters of [\w+=,.@-]).
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	// externalIDPattern is ExternalId's pattern (STS API reference,
	// AssumeRole: [\w+=,.@:\/-]*), its length checked apart: 2-1224
	// characters, beyond regexp's repeat limit of 1000.
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// Identity is who a request is from.
type Identity struct {
	// Account is the 12-digit account the principal belongs to.
	Account string
	// ARN is the principal: an IAM user's ARN, or for temporary
	// credentials the assumed-role ARN
	// (arn:aws:sts::<account>:assumed-role/<role>/<session>).
	ARN string
	// UserID is GetCallerIdentity's UserId: the access key id of a user,
	// "<role id>:<session>" of an assumed role.
	UserID string
	// RoleARN is the role of temporary credentials; "" for a user.
	RoleARN string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// Expires is when temporary credentials expire; zero for a user.
	Expires time.Time
}

// AuthError is why a request's credentials were refused: Code is
// CodeInvalidClientTokenID or CodeExpiredToken.
type AuthError struct {
	Code    string
	Message string
}

func (e *AuthError) Error() string { return e.Code + ": " + e.Message }

type key struct {
	secret string
	token  string // "" for a user's long-term key
	id     Identity
}

type role struct {
	arn        string
	account    string
	name       string
	externalID string
	id         string // AROA...
}

// Service is the emulated STS and the emulator's identities. It is safe for
// concurrent use.
type Service struct {
	clk clock.Clock

	mu    sync.Mutex
	keys  map[string]*key
	roles map[string]*role
	seq   uint64
	// trusted is who an unknown long-term key is taken for; nil refuses
	// such keys.
	trusted *Identity
}

var _ http.Handler = (*Service)(nil)

// New returns a service on clk with no keys and no roles.
func New(clk clock.Clock) *Service {
	return &Service{clk: clk, keys: map[string]*key{}, roles: map[string]*role{}}
}

// AddUser makes accessKeyID (with secret) the long-term key of the IAM
// user userARN, whose account is the ARN's.
func (s *Service) AddUser(accessKeyID, secret, userARNString string) error {
	m := userARN.FindStringSubmatch(userARNString)
	if m == nil {
		return fmt.Errorf("sts: user arn %q: want arn:aws:iam::<12-digit account>:user/<name>", userARNString)
	}
	if accessKeyID == "" {
		return fmt.Errorf("sts: user %s: access key id is empty", userARNString)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[accessKeyID] = &key{secret: secret, id: Identity{Account: m[1], ARN: userARNString, UserID: accessKeyID, AccessKeyID: accessKeyID}}
	return nil
}

// TrustUnknownKeys makes a long-term key the service does not know (a
// request without a session token) a key of the IAM user userARN, so that
// clients signing with any credentials are served as that user. With ""
// such keys are refused, as AWS refuses them. Temporary credentials (with a
// session token) are always checked. The default refuses unknown keys.
func (s *Service) TrustUnknownKeys(userARNString string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if userARNString == "" {
		s.trusted = nil
		return nil
	}
	m := userARN.FindStringSubmatch(userARNString)
	if m == nil {
		return fmt.Errorf("sts: user arn %q: want arn:aws:iam::<12-digit account>:user/<name>", userARNString)
	}
	s.trusted = &Identity{Account: m[1], ARN: userARNString}
	return nil
}

// AddRole defines the role arn, in the account the ARN names. A non-empty
// externalID is required of every AssumeRole of the role, as a trust
// policy's sts:ExternalId condition requires it; with "" the role takes
// any external id or none. Adding a role again replaces its external id.
func (s *Service) AddRole(arn, externalID string) error {
	m := roleARN.FindStringSubmatch(arn)
	if m == nil {
		return fmt.Errorf("sts: role arn %q: want arn:aws:iam::<12-digit account>:role/<name>", arn)
	}
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDPattern.MatchString(externalID)) {
		return fmt.Errorf("sts: role %s: external id %q: want 2-1224 characters of [\\w+=,.@:/-]", arn, externalID)
	}
	h := fnv.New64a()
	_, _ = io.WriteString(h, arn)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[arn] = &role{arn: arn, account: m[1], name: m[2], externalID: externalID,
		id: "AROA" + strings.ToUpper(fmt.Sprintf("%016x", h.Sum64()))}
	return nil
}

// Authenticate returns the identity of accessKeyID; sessionToken must be
// the token issued with temporary credentials. It fails with an
// *AuthError: InvalidClientTokenId for an unknown key (unless
// TrustUnknownKeys) or a wrong token,
// ExpiredToken for temporary credentials past their expiration on the
// service's clock.
func (s *Service) Authenticate(accessKeyID, sessionToken string) (Identity, error) {
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[accessKeyID]
	if !ok && sessionToken == "" && s.trusted != nil && accessKeyID != "" {
		id := *s.trusted
		id.UserID, id.AccessKeyID = accessKeyID, accessKeyID
		return id, nil
	}
	if !ok || k.token != sessionToken {
		return Identity{}, &AuthError{Code: CodeInvalidClientTokenID, Message: MessageInvalidClientTokenID}
	}
	if k.token != "" && !now.Before(k.id.Expires) {
		return Identity{}, &AuthError{Code: CodeExpiredToken, Message: MessageExpiredToken}
	}
	return k.id, nil
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller of a request,
// which ServeHTTP needs: the server that routes to this service
// authenticates first.
func WithCaller(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, callerKey{}, id)
}

func caller(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(callerKey{}).(Identity)
	return id, ok
}

type apiError struct {
	status  int
	code    string
	message string
}

func validation(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one awsQuery request from the caller in its context
// (WithCaller); a request without one is refused as unsigned.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := caller(r.Context())
	if !ok {
		WriteError(w, http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	form, aerr := readForm(w, r)
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	action := form.Get("Action")
	if v := form.Get("Version"); action == "" || (v != "" && v != apiVersion) {
		WriteError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, apiVersion))
		return
	}
	var result any
	switch action {
	case "AssumeRole":
		result, aerr = s.assumeRole(id, form)
	case "GetCallerIdentity":
		result = callerIdentityResult{Arn: id.ARN, UserID: id.UserID, Account: id.Account}
	default:
		WriteError(w, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", action, apiVersion))
		return
	}
	if aerr != nil {
		WriteError(w, aerr.status, aerr.code, aerr.message)
		return
	}
	var b bytes.Buffer
	b.WriteString(`<` + action + `Response xmlns="` + xmlNamespace + `">`)
	if err := xml.NewEncoder(&b).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		WriteError(w, http.StatusInternalServerError, "InternalFailure", "cannot encode the response")
		return
	}
	b.WriteString(`<ResponseMetadata><RequestId>` + awsquery.RequestID() + `</RequestId></ResponseMetadata></` + action + `Response>`)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string `xml:"Arn"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize int `xml:"PackedPolicySize"`
}

// assumeRole issues temporary credentials of the role for caller.
func (s *Service) assumeRole(caller Identity, form url.Values) (any, *apiError) {
	arn, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	if _, ok := form["RoleArn"]; !ok {
		return nil, validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if _, ok := form["RoleSessionName"]; !ok {
		return nil, validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if !sessionName.MatchString(session) {
		return nil, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := DefaultDuration
	if v, ok := form["DurationSeconds"]; ok && len(v) > 0 {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < int(MinDuration/time.Second) {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", v[0])
		}
		if time.Duration(n)*time.Second > MaxDuration {
			return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		duration = time.Duration(n) * time.Second
	}
	_, gaveID := form["ExternalId"]
	if ext := form.Get("ExternalId"); gaveID && (len(ext) < 2 || len(ext) > 1224 || !externalIDPattern.MatchString(ext)) {
		return nil, validation("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:\\/-]*", ext)
	}
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ro, ok := s.roles[arn]
	if !ok || (ro.externalID != "" && (!gaveID || form.Get("ExternalId") != ro.externalID)) {
		// AWS gives the same answer for a role that does not exist and one
		// whose trust policy refuses the caller, so as not to reveal which.
		return nil, &apiError{status: http.StatusForbidden, code: CodeAccessDenied,
			message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, arn)}
	}
	s.seq++
	akid := fmt.Sprintf("ASIAEMU%013d", s.seq)
	k := &key{secret: randomString(40), token: "FwoGZXIvYXdzE" + randomString(120)}
	k.id = Identity{
		Account:     ro.account,
		ARN:         "arn:aws:sts::" + ro.account + ":assumed-role/" + ro.name + "/" + session,
		UserID:      ro.id + ":" + session,
		RoleARN:     ro.arn,
		AccessKeyID: akid,
		// The wire carries whole seconds; the key expires when the client
		// is told it does.
		Expires: now.Add(duration).UTC().Truncate(time.Second),
	}
	s.keys[akid] = k
	var out assumeRoleResult
	out.Credentials.AccessKeyID = akid
	out.Credentials.SecretAccessKey = k.secret
	out.Credentials.SessionToken = k.token
	out.Credentials.Expiration = k.id.Expires.Format(time.RFC3339)
	out.AssumedRoleUser.AssumedRoleID = k.id.UserID
	out.AssumedRoleUser.Arn = k.id.ARN
	return out, nil
}

// WriteError writes an STS (awsQuery) error response: Type Sender below
// 500, Receiver from 500 on, and the code and message.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	awsquery.WriteError(w, xmlNamespace, status, code, message)
}

// readForm reads the awsQuery parameters of a request: the URL's and, for
// POST, the form body's.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *apiError) {
	form, e := awsquery.ReadForm(w, r, maxBodyBytes)
	if e != nil {
		return nil, &apiError{status: e.Status, code: e.Code, message: e.Message}
	}
	return form, nil
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters of alphabet: a secret or a token no
// test can guess.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
