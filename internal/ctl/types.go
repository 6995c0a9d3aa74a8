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
)
