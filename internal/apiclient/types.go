// Package apiclient holds the admin API's wire types: the documents its
// routes answer with and the bodies they take, field for field as
// /openapi.json describes them (a test checks the two against each other,
// both ways, and decodes a real server's answers strictly), so that ctl
// and the dashboard read one definition of the API.
package apiclient

import (
	"encoding/json"
	"fmt"
	"time"
)

// GroupSummary is one group in GET /v1/groups.
type GroupSummary struct {
	Name      string     `json:"name"`
	ASG       string     `json:"asg"`
	Kind      string     `json:"kind"`
	Target    string     `json:"target"`
	Min       int        `json:"min"`
	Max       int        `json:"max"`
	ASGMin    int        `json:"asg_min"`
	ASGMax    int        `json:"asg_max"`
	Known     bool       `json:"known"`
	Lead      string     `json:"lead"`
	Desired   int        `json:"desired"`
	Decided   int        `json:"decided"`
	Serving   int        `json:"serving"`
	Pending   int        `json:"pending"`
	Warming   int        `json:"warming"`
	Paused    bool       `json:"paused"`
	Acted     bool       `json:"acted"`
	Skipped   string     `json:"skipped"`
	Reason    string     `json:"reason"`
	Error     string     `json:"error"`
	At        *time.Time `json:"at"`
	Boosts    []string   `json:"boosts"`
	Overrides []string   `json:"overrides"`
}

// GroupDetail is GET /v1/groups/{name}.
type GroupDetail struct {
	Group     GroupSummary `json:"group"`
	Decision  *Decision    `json:"decision"`
	Boosts    []Boost      `json:"boosts"`
	Overrides []Override   `json:"overrides"`
}

// Decision is one decision with everything that made it.
type Decision struct {
	Group          string        `json:"group"`
	ASG            string        `json:"asg"`
	Kind           string        `json:"kind,omitempty"`
	Target         string        `json:"target,omitempty"`
	At             time.Time     `json:"at"`
	Current        int           `json:"current"`
	Desired        int           `json:"desired"`
	Min            int           `json:"min"`
	Max            int           `json:"max"`
	Serving        int           `json:"serving"`
	Pending        int           `json:"pending"`
	Warming        int           `json:"warming"`
	Terminating    int           `json:"terminating"`
	Standby        int           `json:"standby"`
	Replacing      int           `json:"replacing"`
	CapacityType   string        `json:"capacity_type"`
	Weighted       bool          `json:"weighted"`
	Instances      Instances     `json:"instances"`
	ASGMin         int           `json:"asg_min"`
	ASGMax         int           `json:"asg_max"`
	Proposals      []Proposal    `json:"proposals"`
	Changes        []Change      `json:"changes"`
	Inputs         []Input       `json:"inputs"`
	Queues         []QueueSizing `json:"queues"`
	ScaleInBlocked string        `json:"scale_in_blocked"`
	Paused         bool          `json:"paused"`
	Notes          []string      `json:"notes"`
	WarmPool       *WarmPool     `json:"warm_pool,omitempty"`
	Predictive     *Predictive   `json:"predictive,omitempty"`
	Reason         string        `json:"reason"`
	Acted          bool          `json:"acted"`
	Skipped        string        `json:"skipped"`
	Error          string        `json:"error"`
}

// Predictive is a decision's predictive floor: the mode, the floor in the
// group's units (0: none, Reason says why), how far ahead it looks, the
// quantile and whether the engine was given it.
type Predictive struct {
	Mode        string  `json:"mode"`
	Floor       int     `json:"floor"`
	LeadSeconds float64 `json:"lead_seconds"`
	Quantile    float64 `json:"quantile"`
	Applied     bool    `json:"applied"`
	Reason      string  `json:"reason"`
}

// WarmPool is a group's warm pool in a decision: what it holds in the
// group's units (Instances in instances), how long a warm start and a cold
// launch take to serve, and how the decision's scale-out is expected to
// be served.
type WarmPool struct {
	PoolState           string        `json:"pool_state"`
	Status              string        `json:"status,omitempty"`
	MinSize             int           `json:"min_size"`
	MaxPreparedCapacity *int          `json:"max_prepared_capacity"`
	Ready               int           `json:"ready"`
	Entering            int           `json:"entering"`
	Leaving             int           `json:"leaving"`
	Instances           WarmInstances `json:"instances"`
	WarmLaunchP90       float64       `json:"warm_launch_p90_seconds"`
	WarmLaunchSamples   int           `json:"warm_launch_samples"`
	WarmLeadSeconds     float64       `json:"warm_lead_seconds"`
	ColdLeadSeconds     float64       `json:"cold_lead_seconds"`
	ExpectedWarm        int           `json:"expected_warm"`
	ExpectedCold        int           `json:"expected_cold"`
	RaisedFrom          *int          `json:"raised_from"`
	Error               string        `json:"error,omitempty"`
}

// WarmInstances counts a warm pool's instances by state.
type WarmInstances struct {
	Ready    int `json:"ready"`
	Entering int `json:"entering"`
	Leaving  int `json:"leaving"`
}

// Instances counts a group's instances by state; the decision's own
// counts are in the group's units.
type Instances struct {
	InService   int `json:"in_service"`
	Serving     int `json:"serving"`
	Warming     int `json:"warming"`
	Pending     int `json:"pending"`
	Terminating int `json:"terminating"`
	Standby     int `json:"standby"`
	Protected   int `json:"protected"`
	Replacing   int `json:"replacing"`
}

// Proposal is one policy's proposal in a decision.
type Proposal struct {
	Policy   string `json:"policy"`
	Kind     string `json:"kind"`
	Capacity int    `json:"capacity"`
	OK       bool   `json:"ok"`
	Reason   string `json:"reason"`
}

// Change is one rule that changed a decision's number.
type Change struct {
	Rule   string `json:"rule"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Reason string `json:"reason"`
}

// Input is one input of a decision with its age.
type Input struct {
	Policy     string  `json:"policy"`
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	AgeSeconds float64 `json:"age_seconds"`
	Stale      bool    `json:"stale"`
}

// QueueSizing is how a rate-mode backlog policy sized one queue in a decision.
type QueueSizing struct {
	Policy            string  `json:"policy"`
	Queue             string  `json:"queue"`
	ArrivalsPerSecond float64 `json:"arrivals_per_second"`
	Backlog           float64 `json:"backlog"`
	ProjectedBacklog  float64 `json:"projected_backlog"`
	Budget            float64 `json:"budget"`
	Excess            float64 `json:"excess"`
	OnItsWay          float64 `json:"on_its_way"`
	LeadSeconds       float64 `json:"lead_seconds"`
	Rate              float64 `json:"rate"`
	Drain             float64 `json:"drain"`
	Floor             float64 `json:"floor"`
	Need              float64 `json:"need"`
	Term              string  `json:"term"`
	SurgeOver         bool    `json:"surge_over"`
}

// Boost is a boost as the API returns it.
type Boost struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Reason      string    `json:"reason"`
	Groups      []string  `json:"groups"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	TimeZone    *string   `json:"time_zone"`
	MinCapacity *int      `json:"min_capacity"`
	Multiplier  *float64  `json:"multiplier"`
	Ramp        string    `json:"ramp"`
	Lead        string    `json:"lead"`
	// EffectiveLead is the lead in force (the group's when Lead is 0s).
	EffectiveLead string    `json:"effective_lead"`
	CapAtMax      bool      `json:"cap_at_max"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// CancelledAt and CancelledBy are null until the boost is cancelled.
	CancelledAt *time.Time `json:"cancelled_at"`
	CancelledBy *string    `json:"cancelled_by"`
	Version     int64      `json:"version"`
	State       string     `json:"state"`
	// Campaign is the campaign the boost was made from; nil for a boost
	// made directly.
	Campaign *BoostCampaign `json:"campaign"`
}

// BoostCampaign is a boost's campaign and how its floor was sized.
type BoostCampaign struct {
	ID     string         `json:"id"`
	Sizing CampaignSizing `json:"sizing"`
}

// CampaignSizing is how a campaign's floor on one group was found.
type CampaignSizing struct {
	Audience                 int     `json:"audience"`
	MessagesPerRecipient     int     `json:"messages_per_recipient"`
	PeakArrivalsPerSecond    float64 `json:"peak_arrivals_per_second"`
	PeakAfter                string  `json:"peak_after"`
	UnitsPerMessagePerSecond float64 `json:"units_per_message_per_second"`
	// Source is where the response curve came from: history or default.
	Source               string `json:"source"`
	CampaignsLearnedFrom int    `json:"campaigns_learned_from"`
	// CostSource is where the cost per message came from.
	CostSource       string  `json:"cost_source"`
	ExpectedMessages float64 `json:"expected_messages"`
	Arrivals95       string  `json:"arrivals_95"`
	Window           string  `json:"window"`
	Wanted           int     `json:"wanted"`
	Floor            int     `json:"floor"`
	CappedAtMax      bool    `json:"capped_at_max"`
}

// CampaignGroup is a campaign's boost on one group.
type CampaignGroup struct {
	Group string `json:"group"`
	// Boost is the boost's id; nil in a preview.
	Boost  *string        `json:"boost"`
	Start  time.Time      `json:"start"`
	End    time.Time      `json:"end"`
	Sizing CampaignSizing `json:"sizing"`
}

// Campaign is a campaign as the API returns it; a preview's has no id,
// creator or state.
type Campaign struct {
	ID                   *string         `json:"id"`
	Name                 string          `json:"name"`
	Groups               []string        `json:"groups"`
	Start                time.Time       `json:"start"`
	End                  time.Time       `json:"end"`
	EndGiven             bool            `json:"end_given"`
	Audience             int             `json:"audience"`
	MessagesPerRecipient int             `json:"messages_per_recipient"`
	Sizing               []CampaignGroup `json:"sizing"`
	CreatedBy            *string         `json:"created_by"`
	CreatedAt            *time.Time      `json:"created_at"`
	State                *string         `json:"state"`
}

// CampaignList is a page of campaigns.
type CampaignList struct {
	Campaigns []Campaign `json:"campaigns"`
	Next      *string    `json:"next"`
}

// CampaignInput is the body of POST /v1/campaigns and of its preview.
type CampaignInput struct {
	Name                 string   `json:"name"`
	Groups               []string `json:"groups"`
	Start                string   `json:"start"`
	End                  *string  `json:"end,omitempty"`
	Audience             int      `json:"audience"`
	MessagesPerRecipient *int     `json:"messages_per_recipient,omitempty"`
}

// Override is an override as the API returns it.
type Override struct {
	ID        string    `json:"id"`
	Group     string    `json:"group"`
	Kind      string    `json:"kind"`
	Capacity  *int      `json:"capacity"`
	Min       *int      `json:"min"`
	Max       *int      `json:"max"`
	CapAtMax  bool      `json:"cap_at_max"`
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// CancelledAt and CancelledBy are null until the override is cancelled.
	CancelledAt *time.Time `json:"cancelled_at"`
	CancelledBy *string    `json:"cancelled_by"`
	Version     int64      `json:"version"`
	// State is active, expired or cancelled.
	State string `json:"state"`
}

// AuditEntry is one entry of the audit trail.
type AuditEntry struct {
	ID     string          `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Object string          `json:"object"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// BoostInput is the body of POST /v1/boosts and the boost of a preview.
// Nil fields are not sent, so that a PATCH (BoostPatch) changes only what
// was given.
type BoostInput struct {
	Name        *string  `json:"name,omitempty"`
	Reason      *string  `json:"reason,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Start       *string  `json:"start,omitempty"`
	End         *string  `json:"end,omitempty"`
	TimeZone    *string  `json:"time_zone,omitempty"`
	MinCapacity *int     `json:"min_capacity,omitempty"`
	Multiplier  *float64 `json:"multiplier,omitempty"`
	Ramp        *string  `json:"ramp,omitempty"`
	Lead        *string  `json:"lead,omitempty"`
	CapAtMax    *bool    `json:"cap_at_max,omitempty"`
}

// BoostPatch is the body of PATCH /v1/boosts/{id}: any of a boost's
// fields, and the version read, for optimistic concurrency.
type BoostPatch struct {
	BoostInput
	Version *int64 `json:"version,omitempty"`
}

// OverrideInput is the body of POST /v1/groups/{name}/overrides.
type OverrideInput struct {
	Kind      string  `json:"kind"`
	Capacity  *int    `json:"capacity,omitempty"`
	Min       *int    `json:"min,omitempty"`
	Max       *int    `json:"max,omitempty"`
	CapAtMax  bool    `json:"cap_at_max,omitempty"`
	Reason    string  `json:"reason"`
	ExpiresAt *string `json:"expires_at,omitempty"`
	TTL       *string `json:"ttl,omitempty"`
}

// PreviewInput is the body of POST /v1/groups/{name}/preview.
type PreviewInput struct {
	Current *int                    `json:"current,omitempty"`
	Serving *int                    `json:"serving,omitempty"`
	Metrics map[string]float64      `json:"metrics,omitempty"`
	Queues  map[string]QueueReading `json:"queues,omitempty"`
	Boost   *BoostInput             `json:"boost,omitempty"`
}

// QueueReading replaces one queue's reading in a preview.
type QueueReading struct {
	Visible  float64 `json:"visible"`
	InFlight float64 `json:"in_flight"`
	Delayed  float64 `json:"delayed"`
}

// GroupList is a page of GET /v1/groups.
type GroupList struct {
	Groups []GroupSummary `json:"groups"`
	Next   *string        `json:"next"`
}

// BoostList is a page of GET /v1/boosts.
type BoostList struct {
	Boosts []Boost `json:"boosts"`
	Next   *string `json:"next"`
}

// OverrideList is a page of GET /v1/overrides and
// GET /v1/groups/{name}/overrides.
type OverrideList struct {
	Overrides []Override `json:"overrides"`
	Next      *string    `json:"next"`
}

// DecisionList is a page of GET /v1/groups/{name}/decisions.
type DecisionList struct {
	Decisions []Decision `json:"decisions"`
	Next      *string    `json:"next"`
}

// AuditList is a page of GET /v1/audit.
type AuditList struct {
	Entries []AuditEntry `json:"entries"`
	Next    *string      `json:"next"`
}

// PreviewResult is the answer of POST /v1/groups/{name}/preview.
type PreviewResult struct {
	Decision Decision `json:"decision"`
}

// Forecast is GET /v1/groups/{name}/forecast: a group's need forecast for
// the next 48 hours, the demand history it came from by the hour, and its
// latest predictive floor (nil without one).
type Forecast struct {
	Group       string          `json:"group"`
	At          time.Time       `json:"at"`
	OK          bool            `json:"ok"`
	Reason      string          `json:"reason"`
	StepSeconds float64         `json:"step_seconds"`
	BandLow     float64         `json:"band_low"`
	BandHigh    float64         `json:"band_high"`
	Points      []ForecastPoint `json:"points"`
	History     []HistoryHour   `json:"history"`
	Predictive  *Predictive     `json:"predictive"`
}

// ForecastPoint is one forecast bucket in the group's units: the point
// forecast and the band's low and high.
type ForecastPoint struct {
	At   time.Time `json:"at"`
	Need float64   `json:"need"`
	Low  float64   `json:"low"`
	High float64   `json:"high"`
}

// HistoryHour is one hour of demand history: the means of its buckets.
type HistoryHour struct {
	At       time.Time `json:"at"`
	Need     float64   `json:"need"`
	Arrivals float64   `json:"arrivals"`
	Buckets  int       `json:"buckets"`
	Campaign bool      `json:"campaign"`
}

// noMax is the upper bound a target without one of its own reports (an
// ECS service without a scalable target, a Kubernetes workload).
const noMax = 1<<31 - 1

// KindOrASG is the group's kind of target; a daemon from before kinds
// lists none, and its groups are Auto Scaling groups.
func (g GroupSummary) KindOrASG() string {
	if g.Kind == "" {
		return "asg"
	}
	return g.Kind
}

// TargetName is the target's name: the Auto Scaling group's from a daemon
// from before kinds.
func (g GroupSummary) TargetName() string {
	if g.Target == "" {
		return g.ASG
	}
	return g.Target
}

// OwnBounds are the target's own bounds as last described, for people:
// "ASG 1-40" (MinSize-MaxSize), "scalable target 1-10" (an ECS service's
// MinCapacity-MaxCapacity), or "" when it has none of its own or has not
// been described.
func (g GroupSummary) OwnBounds() string {
	if !g.Known || g.ASGMax == noMax && g.ASGMin == 0 {
		return ""
	}
	label := "ASG"
	switch g.KindOrASG() {
	case "ecs_service":
		label = "scalable target"
	case "kubernetes":
		label = "workload"
	}
	if g.ASGMax == noMax {
		return fmt.Sprintf("%s %d-", label, g.ASGMin)
	}
	return fmt.Sprintf("%s %d-%d", label, g.ASGMin, g.ASGMax)
}
