package ctl

import "github.com/headroom-dev/headroom/internal/apiclient"

// The API's documents are apiclient's, the one definition that is
// checked against the server's OpenAPI document; these names keep ctl's
// code short.
type (
	GroupSummary  = apiclient.GroupSummary
	GroupDetail   = apiclient.GroupDetail
	Decision      = apiclient.Decision
	Proposal      = apiclient.Proposal
	Change        = apiclient.Change
	Input         = apiclient.Input
	Boost         = apiclient.Boost
	Override      = apiclient.Override
	AuditEntry    = apiclient.AuditEntry
	BoostInput    = apiclient.BoostInput
	BoostPatch    = apiclient.BoostPatch
	OverrideInput = apiclient.OverrideInput
	PreviewInput  = apiclient.PreviewInput
	QueueReading  = apiclient.QueueReading
	Forecast      = apiclient.Forecast
	Predictive    = apiclient.Predictive
)

// The client of the admin API is apiclient's.
type (
	Client           = apiclient.Client
	Request          = apiclient.Request
	Response         = apiclient.Response
	Problem          = apiclient.Problem
	FieldProblem     = apiclient.FieldProblem
	UnreachableError = apiclient.UnreachableError
)

// MaxRetries is how many times ctl sends a request again after a
// transient failure (see apiclient.MaxRetries).
const MaxRetries = apiclient.MaxRetries

// NewIdempotencyKey returns a random key for one invocation.
func NewIdempotencyKey() (string, error) { return apiclient.NewIdempotencyKey() }
