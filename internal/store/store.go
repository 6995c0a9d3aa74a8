// Package store keeps what Headroom cannot rebuild: operators' boosts and
// overrides, the audit trail, recent decisions, each group's demand
// history and the leader lease. One interface, two implementations that
// pass the same conformance suite: bbolt (one file, one replica) and
// DynamoDB (one table, many replicas).
//
// Every update that could race is conditional on the version the caller
// read: a create expects version 0 (the object must not exist), an update
// or delete expects the current version. A mismatch is ErrConflict and
// changes nothing.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors callers branch on, matched with errors.Is.
var (
	// ErrNotFound: no object with that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the object changed (or exists, or the lease is held)
	// since the caller read it; nothing was written.
	ErrConflict = errors.New("conflict")
)

// Boost is a scheduled raise of one or more groups' floor.
type Boost struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Groups selects groups by Headroom name ("workers") or by ASG tag
	// ("team=rewards").
	Groups []string `json:"groups"`
	// Start and End bound the campaign window [Start, End), in UTC.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// TimeZone is the IANA zone the operator wrote local times in, kept
	// for display; empty for RFC 3339 input.
	TimeZone    string        `json:"time_zone,omitempty"`
	MinCapacity int           `json:"min_capacity,omitempty"`
	Multiplier  float64       `json:"multiplier,omitempty"`
	Ramp        time.Duration `json:"ramp,omitempty"`
	Lead        time.Duration `json:"lead,omitempty"`
	CapAtMax    bool          `json:"cap_at_max,omitempty"`
	CreatedBy   string        `json:"created_by"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	// CancelledAt is when an operator cancelled the boost, zero while it
	// is not cancelled; a cancelled boost is kept, and applies no floor.
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// CancelledBy is the token name that cancelled it.
	CancelledBy string `json:"cancelled_by,omitempty"`
	// Campaign is set on a boost made from a campaign announced by its
	// audience: the campaign and how its floor was sized. Nil on a boost
	// an operator made directly.
	Campaign *BoostCampaign `json:"campaign,omitempty"`
	// Version increases by one with every write; 0 means never stored.
	Version int64 `json:"version"`
}

// BoostCampaign is the campaign a boost was made from. A campaign on
// several groups makes one boost per group (each group's floor is its
// own); they share ID.
type BoostCampaign struct {
	// ID is the campaign's id ("c-..."), shared by its boosts.
	ID string `json:"id"`
	// Name is the campaign's name as announced.
	Name string `json:"name"`
	// Groups are all the campaign's groups, in the order announced; the
	// boost's own Groups holds its one group.
	Groups []string `json:"groups"`
	// Audience is how many recipients the campaign reaches, and
	// MessagesPerRecipient how many messages each response makes: what a
	// later campaign's response curve is normalised by.
	Audience             int `json:"audience"`
	MessagesPerRecipient int `json:"messages_per_recipient"`
	// EndGiven: the campaign gave its end; otherwise the boost's End is
	// when 95% of the expected arrivals have come.
	EndGiven bool `json:"end_given,omitempty"`
	// Sizing is how the floor (the boost's MinCapacity) was found, as
	// the API shows it: a JSON object of internal/campaign.Sizing.
	Sizing json.RawMessage `json:"sizing,omitempty"`
}

// Cancelled reports whether an operator cancelled b.
func (b Boost) Cancelled() bool { return !b.CancelledAt.IsZero() }

// Override is an operator's pin, pause or bounds on one group.
type Override struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	// Kind is "pin", "pause" or "bounds".
	Kind     string `json:"kind"`
	Capacity int    `json:"capacity,omitempty"`
	Min      *int   `json:"min,omitempty"`
	Max      *int   `json:"max,omitempty"`
	// CapAtMax: the operator accepted a capacity or max above the group's
	// maximum, which the engine caps.
	CapAtMax  bool      `json:"cap_at_max,omitempty"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// CancelledAt is when an operator cancelled the override, zero while
	// it is not cancelled; a cancelled override is kept until it expires,
	// and applies nothing.
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// CancelledBy is the token name that cancelled it.
	CancelledBy string `json:"cancelled_by,omitempty"`
	Version     int64  `json:"version"`
}

// Cancelled reports whether an operator cancelled o.
func (o Override) Cancelled() bool { return !o.CancelledAt.IsZero() }

// AuditEntry is one write, as the audit trail records it.
type AuditEntry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Actor is the token name, or "headroom" for automatic changes such as
	// an override's expiry.
	Actor string `json:"actor"`
	// Action is e.g. "boost.create", "override.expire".
	Action string `json:"action"`
	// Object is the id of what changed.
	Object string          `json:"object"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Decision is one recorded decision of one group; Body is the decision as
// the API shows it, opaque to the store.
type Decision struct {
	Group string          `json:"group"`
	At    time.Time       `json:"at"`
	Body  json.RawMessage `json:"body"`
}

// Lease is the leader lease.
type Lease struct {
	// Holder is the replica's name (its replica id), stable across its
	// restarts.
	Holder string `json:"holder"`
	// Nonce tells processes of one holder apart: each process draws its
	// own, so the same holder with another nonce is another process (a
	// restart, or a second process started under the same name).
	Nonce string `json:"nonce,omitempty"`
	// Token is the fencing token: it increases every time the lease
	// changes hands, never on a renewal.
	Token     int64     `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Version   int64     `json:"version"`
}

// Retention bounds decision history per group.
type Retention struct {
	// Count keeps at most this many decisions per group (0: no limit).
	Count int
	// Age drops decisions older than this (0: no limit).
	Age time.Duration
}

// Store is the state Headroom keeps.
type Store interface {
	// PutBoost creates (b.Version == 0) or replaces (b.Version == the stored
	// version) a boost and returns it with its new version.
	PutBoost(ctx context.Context, b Boost) (Boost, error)
	GetBoost(ctx context.Context, id string) (Boost, error)
	// ListBoosts returns every boost, by Start then ID.
	ListBoosts(ctx context.Context) ([]Boost, error)
	// DeleteBoost deletes the boost if its stored version is version.
	DeleteBoost(ctx context.Context, id string, version int64) error

	PutOverride(ctx context.Context, o Override) (Override, error)
	GetOverride(ctx context.Context, id string) (Override, error)
	// ListOverrides returns the overrides of group ("" for every group),
	// by CreatedAt then ID.
	ListOverrides(ctx context.Context, group string) ([]Override, error)
	DeleteOverride(ctx context.Context, id string, version int64) error

	// AppendAudit records e; an empty ID gets one.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns entries at or after since, oldest first, at most
	// limit (0: no limit).
	ListAudit(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error)

	// AppendDecisions records decisions and applies r to their groups as
	// of now.
	AppendDecisions(ctx context.Context, ds []Decision, r Retention, now time.Time) error
	// ListDecisions returns a group's decisions at or after since, newest
	// first, at most limit (0: no limit).
	ListDecisions(ctx context.Context, group string, since time.Time, limit int) ([]Decision, error)

	History

	// AcquireLease takes or renews the lease for the process nonce of
	// holder until now+ttl. The same holder and nonce renew (the token
	// stays); anything else takes the lease with a new token. It fails with
	// ErrConflict while another holder's lease is unexpired. The same
	// holder under another nonce is another process of that replica: a
	// store that can prove that process dead takes its lease at once (bolt:
	// the file lock admits one process at a time, so the other one has
	// exited); a store that cannot (DynamoDB, shared by processes on many
	// hosts) treats it as another holder, so two live processes under one
	// name never both lead.
	AcquireLease(ctx context.Context, holder, nonce string, ttl time.Duration, now time.Time) (Lease, error)
	// ReleaseLease gives the lease up if l is still the stored lease.
	ReleaseLease(ctx context.Context, l Lease) error

	// SaveIdempotent stores body under key unless the key is already
	// stored, and returns the body stored first (body itself when new).
	// Keys are kept for ttl.
	SaveIdempotent(ctx context.Context, key string, body []byte, ttl time.Duration, now time.Time) ([]byte, error)
	// LoadIdempotent returns the body stored under key, or ErrNotFound
	// when none is stored or it has expired at now. It writes nothing.
	LoadIdempotent(ctx context.Context, key string, now time.Time) ([]byte, error)

	Close() error
}

// History is the demand history of each group: the part of a Store the
// controller records to and forecasts from, which the simulator also
// keeps in memory (package memory).
type History interface {
	// RecordHistory merges pts into their groups' buckets and then drops
	// those groups' buckets whose start is keep old at now (see
	// HistoryCutoff), so a group holds at most keep/HistoryBucket buckets
	// (rounded up).
	// A point for a stored bucket merges with it as MergeHistory does, and
	// so do two points for one bucket in the same call; a point already
	// past the cutoff is not stored. Points are checked first (see
	// CheckHistory) and a call with any bad point stores nothing. The
	// merge of each bucket is atomic, so concurrent callers lose no
	// samples, but a call is not: one that fails may have merged some of
	// its buckets, and sending it again counts those twice, so a caller
	// drops a failed call's samples rather than retrying them.
	RecordHistory(ctx context.Context, pts []HistoryPoint, keep time.Duration, now time.Time) error
	// ListHistory returns a group's buckets that start at or after since
	// and before until (zero: no upper bound), oldest first.
	ListHistory(ctx context.Context, group string, since, until time.Time) ([]HistoryPoint, error)
}
