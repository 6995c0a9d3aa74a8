package api

import (
	"encoding/json"
	"fmt"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// ref points at a schema of the document's components.
func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str(desc string) obj { return obj{"type": "string", "description": desc} }
func integer(desc string) obj {
	return obj{"type": "integer", "description": desc}
}
func number(desc string) obj  { return obj{"type": "number", "description": desc} }
func boolean(desc string) obj { return obj{"type": "boolean", "description": desc} }
func dateTime(desc string) obj {
	return obj{"type": "string", "format": "date-time", "description": desc}
}
func nullable(t string, desc string) obj {
	return obj{"type": []string{t, "null"}, "description": desc}
}
func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }

// object is a closed object schema; required lists the keys always sent.
func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// allKeys lists props' keys, for response schemas where every key is sent.
func allKeys(props obj) []string {
	return sortedKeys(props)
}

func respObject(props obj) obj { return object(props, allKeys(props)...) }

// nextProp is a page's link to the next one.
var nextProp = nullable("string", "URL (path and query) of the next page; null on the last page.")

var (
	boostInputProps = obj{
		"name":         str("Short name of the campaign; free text (valid UTF-8, no control or bidirectional formatting characters), at most 128 bytes."),
		"reason":       str("Why; shown in the audit trail and decisions. Free text like name, at most 1024 bytes."),
		"groups":       obj{"type": "array", "minItems": 1, "items": str("A configured group name, or a key=value Auto Scaling tag selector.")},
		"start":        str("Window start: RFC 3339 with offset, or local YYYY-MM-DDTHH:MM[:SS] with time_zone; a local time the zone skips is refused. On create at most one cycle in the past."),
		"end":          str("Window end, after start and in the future; same forms as start. At most api.max_boost_window (default 744h) after start."),
		"time_zone":    str("IANA time zone of local start/end, e.g. Europe/Paris."),
		"min_capacity": integer("Absolute floor (> 0)."),
		"multiplier":   number("Floor as ceil(multiplier x baseline capacity), >= 1."),
		"ramp":         str("Go duration (0 to 24h) over which the floor climbs before start-lead."),
		"lead":         str("Go duration (0 to 24h): how long before start the floor is reached; 0s means the group's measured lead."),
		"cap_at_max":   boolean("Accept a floor above a group's maximum and cap it there."),
	}
	boostProps = obj{
		"id": str("b- followed by 16 hex characters; a campaign's boosts add -N, N its group's place in the campaign's groups (from 1)."), "name": str(""), "reason": str(""),
		"groups": arrayOf(str("")), "start": dateTime("UTC."), "end": dateTime("UTC."),
		"time_zone": nullable("string", "The zone local times were given in."), "min_capacity": nullable("integer", ""),
		"multiplier": nullable("number", ""), "ramp": str("Go duration."), "lead": str("Go duration; 0s means the group's lead."),
		"effective_lead": str("Go duration, whole seconds: the lead in force, lead or else the first selected group's."),
		"cap_at_max":     boolean(""), "created_by": str("Token name."), "created_at": dateTime(""), "updated_at": dateTime(""),
		"cancelled_at": nullable("string", "When it was cancelled (date-time, UTC); null while it is not."),
		"cancelled_by": nullable("string", "Token name that cancelled it; null while it is not cancelled."),
		"version":      integer("Increases with every write; send it back in PATCH for optimistic concurrency."),
		"state":        obj{"type": "string", "enum": []string{stateScheduled, stateLeading, stateActive, stateEnded, stateCancelled}},
		"campaign": obj{"oneOf": []obj{respObject(obj{"id": str("The campaign's id (c-...)."), "sizing": ref("CampaignSizing")}), {"type": "null"}},
			"description": "The campaign the boost was made from, with how its floor was sized; null for a boost made directly."},
	}
	campaignInputProps = obj{
		"name":                   str("Short name of the campaign; free text like a boost's name, at most 128 bytes."),
		"groups":                 obj{"type": "array", "minItems": 1, "items": str("A configured group name (not a tag selector): each gets its own boost.")},
		"start":                  str("When the campaign is sent: RFC 3339 with an offset. On create at most one cycle in the past; a preview takes any start."),
		"end":                    str("Optional window end (RFC 3339), after start; default: start plus the time by which 95% of the expected arrivals have come (per group)."),
		"audience":               integer("Recipients the campaign reaches, 1 to 1,000,000,000."),
		"messages_per_recipient": integer("Messages one response makes, 1 to 1000; default 1 (a response is one action, queued as one message)."),
	}
	campaignSizingProps = obj{
		"audience": integer(""), "messages_per_recipient": integer(""),
		"peak_arrivals_per_second":     number("Audience x messages per recipient x the curve's highest bucket fraction / 300 s."),
		"peak_after":                   str("Go duration: the start of the peak bucket after the campaign's start."),
		"units_per_message_per_second": number("The group's cost per message: capacity units one message per second needs."),
		"source":                       obj{"type": "string", "enum": []string{"history", "default"}, "description": "Where the response curve came from."},
		"campaigns_learned_from":       integer("Earlier campaigns on the group the curve was learned from; 0 with the default curve."),
		"cost_source":                  obj{"type": "string", "enum": []string{"history", "default"}, "description": "Where the cost per message came from: the group's history outside campaigns, or its backlog queues' seconds_per_message / (concurrency x target_utilization)."},
		"expected_messages":            number("Audience x messages per recipient x the curve's total."),
		"arrivals_95":                  str("Go duration: when 95% of the expected messages have arrived."),
		"window":                       str("Go duration: the floor's default length, to the end of the curve's peak 5 minutes plus the group's lead."),
		"wanted":                       integer("ceil(peak x cost), at least 1, before the cap."),
		"floor":                        integer("The boost's min_capacity: wanted capped at the group's maximum."),
		"capped_at_max":                boolean("wanted was above the group's maximum."),
	}
	overrideProps = obj{
		"id": str("o- followed by 16 hex characters."), "group": str(""),
		"kind":     obj{"type": "string", "enum": []string{kindPin, kindPause, kindBounds}},
		"capacity": nullable("integer", "Pinned capacity (pin)."), "min": nullable("integer", "bounds"), "max": nullable("integer", "bounds"),
		"cap_at_max": boolean("A capacity, min or max above the group's maximum was accepted; the engine caps it."),
		"reason":     str(""), "expires_at": dateTime(""), "created_by": str(""), "created_at": dateTime(""), "version": integer(""),
		"cancelled_at": nullable("string", "When it was cancelled (date-time, UTC); null while it is not."),
		"cancelled_by": nullable("string", "Token name that cancelled it; null while it is not cancelled."),
		"state":        obj{"type": "string", "enum": []string{stateActive, stateExpired, stateCancelled}},
	}
	groupSummaryProps = obj{
		"name": str("Headroom's name."), "asg": str("Auto Scaling group name; empty for another kind of target."),
		"kind":   obj{"type": "string", "enum": []string{"asg", "ecs_service", "kubernetes"}, "description": "What the group scales."},
		"target": str("The target's name: the Auto Scaling group's, cluster/service, or [context:]namespace/resource/name."),
		"min":    integer("Configured minimum."),
		"max":    integer("Configured maximum."), "asg_min": integer("MinSize as last described."), "asg_max": integer("MaxSize as last described."),
		"known": boolean("The group has been described."), "lead": str("Boost lead in force (Go duration)."),
		"desired": integer("Desired capacity at the latest decision."), "decided": integer("Capacity decided."),
		"serving": integer(""), "pending": integer(""), "warming": integer(""), "paused": boolean(""), "acted": boolean(""),
		"skipped": str(""), "reason": str(""), "error": str(""), "at": nullable("string", "Time of the latest decision."),
		"boosts": arrayOf(str("Boost id.")), "overrides": arrayOf(str("Override id.")),
	}
	decisionProps = obj{
		"group": str(""), "asg": str(""), "kind": str("Kind of target: asg, ecs_service or kubernetes."), "target": str("The target's name."), "at": dateTime(""), "current": integer(""), "desired": integer(""),
		"min": integer("Effective minimum."), "max": integer("Effective maximum."),
		"serving": integer("Units InService past warmup (instances on a plain group)."), "pending": integer("Units on their way in."),
		"warming": integer("Units InService inside warmup."), "terminating": integer("Units on their way out."),
		"standby":       integer("Units in Standby: neither serving nor part of desired capacity."),
		"replacing":     integer("Pending units that replace instances AWS is retiring (launch before terminate: capacity rebalancing and the like): a swap, not capacity added."),
		"capacity_type": str("DesiredCapacityType: units, vcpu or memory-mib."),
		"weighted":      boolean("A unit is not an instance (weights or a vcpu/memory-mib capacity type)."),
		"instances":     ref("InstanceCounts"),
		"asg_min":       integer(""), "asg_max": integer(""),
		"proposals":        arrayOf(ref("Proposal")),
		"changes":          arrayOf(ref("Change")),
		"inputs":           arrayOf(ref("Input")),
		"queues":           arrayOf(ref("QueueSizing")),
		"scale_in_blocked": str(""), "paused": boolean(""), "notes": arrayOf(str("")), "reason": str(""),
		"acted": boolean(""), "skipped": str(""), "error": str(""),
		"warm_pool":  ref("WarmPool"),
		"predictive": ref("Predictive"),
	}
	warmPoolProps = obj{
		"pool_state":              str("Stopped, Running or Hibernated: the state the pool keeps its instances in."),
		"status":                  str("PendingDelete while the pool is being deleted; absent otherwise."),
		"min_size":                integer("The pool's MinSize."),
		"max_prepared_capacity":   nullable("integer", "MaxGroupPreparedCapacity; null when not set (the group's MaxSize stands in)."),
		"ready":                   integer("Units resting in the pool state, ready for a warm start."),
		"entering":                integer("Units on their way into the pool (Warmed:Pending*)."),
		"leaving":                 integer("Units on their way out of the pool (Warmed:Terminating*)."),
		"instances":               ref("WarmInstanceCounts"),
		"warm_launch_p90_seconds": number("Measured warm start p90 from the pool's state; 0 before any."),
		"warm_launch_samples":     integer("Warm starts measured from the pool's state."),
		"warm_lead_seconds":       number("How long a warm start takes to serve: the measured p90 (or the state's prior) plus the warmup; 0 when the pool cannot give warm starts."),
		"cold_lead_seconds":       number("How long a cold launch takes to serve."),
		"expected_warm":           integer("Units of this decision's scale-out expected from the pool's ready instances."),
		"expected_cold":           integer("Units of this decision's scale-out expected from new launches."),
		"raised_from":             nullable("integer", "The pool's MinSize before Headroom raised it for a boost; null while Headroom holds no change to the pool."),
		"error":                   str("Why DescribeWarmPool failed this cycle; every launch then counts cold."),
	}
)

// schemas are the document's components.
func schemas() obj {
	patch := obj{}
	for k, v := range boostInputProps {
		patch[k] = v
	}
	patch["version"] = integer("The version read; a mismatch is 409. Without it the server retries its read-modify-write on a concurrent change (503 with Retry-After if it keeps changing).")
	return obj{
		"Problem": object(obj{
			"type": str("https://headroom.dev/problems/<kind>"), "title": str(""), "status": integer(""),
			"detail": str(""), "instance": str("The request path."), "field": str("The first invalid field (JSON path)."),
			"errors": arrayOf(ref("FieldError")), "request_id": str(""),
		}, "type", "title", "status"),
		"FieldError":     object(obj{"field": str(""), "detail": str("")}, "field", "detail"),
		"BoostInput":     object(boostInputProps, "name", "reason", "groups", "start", "end"),
		"BoostPatch":     object(patch),
		"Boost":          respObject(boostProps),
		"BoostList":      respObject(obj{"boosts": arrayOf(ref("Boost")), "next": nextProp}),
		"CampaignInput":  object(campaignInputProps, "name", "groups", "start", "audience"),
		"CampaignSizing": respObject(campaignSizingProps),
		"CampaignGroup": respObject(obj{"group": str(""), "boost": nullable("string", "The boost's id; null in a preview."),
			"start": dateTime("The boost's window start: the campaign's start (the floor is reached the group's lead before it)."),
			"end":   dateTime("The boost's window end."), "sizing": ref("CampaignSizing")}),
		"Campaign": respObject(obj{
			"id": nullable("string", "c- followed by 16 hex characters; null in a preview."), "name": str(""), "groups": arrayOf(str("")),
			"start": dateTime("UTC."), "end": dateTime("UTC: the latest of its boosts' ends."), "end_given": boolean("The end was given, not derived."),
			"audience": integer(""), "messages_per_recipient": integer(""), "sizing": arrayOf(ref("CampaignGroup")),
			"created_by": nullable("string", "Token name; null in a preview."), "created_at": nullable("string", "date-time; null in a preview."),
			"state": nullable("string", "The earliest state among its boosts (scheduled, leading, active, ended, cancelled); null in a preview."),
		}),
		"CampaignList":  respObject(obj{"campaigns": arrayOf(ref("Campaign")), "next": nextProp}),
		"OverrideInput": overrideInputSchema(),
		"Override":      respObject(overrideProps),
		"OverrideList":  respObject(obj{"overrides": arrayOf(ref("Override")), "next": nextProp}),
		"GroupSummary":  respObject(groupSummaryProps),
		"GroupList":     respObject(obj{"groups": arrayOf(ref("GroupSummary")), "next": nextProp}),
		"GroupDetail": respObject(obj{
			"group":     ref("GroupSummary"),
			"decision":  obj{"oneOf": []obj{ref("Decision"), {"type": "null"}}},
			"boosts":    arrayOf(ref("Boost")),
			"overrides": arrayOf(ref("Override")),
		}),
		"Decision": object(decisionProps, "group", "asg", "at", "current", "desired", "min", "max", "serving", "pending", "warming", "asg_min", "asg_max", "proposals", "changes", "inputs", "paused", "reason", "acted"),
		"InstanceCounts": respObject(obj{
			"in_service": integer(""), "serving": integer(""), "warming": integer(""), "pending": integer(""),
			"terminating": integer(""), "standby": integer(""), "protected": integer("InService instances protected from scale-in."),
			"replacing": integer("Pending instances that replace instances AWS is retiring."),
		}),
		"WarmPool": object(warmPoolProps, "pool_state", "min_size", "max_prepared_capacity", "ready", "entering", "leaving", "instances",
			"warm_launch_p90_seconds", "warm_launch_samples", "warm_lead_seconds", "cold_lead_seconds", "expected_warm", "expected_cold", "raised_from"),
		"Predictive": respObject(obj{
			"mode":         obj{"type": "string", "enum": []string{"forecast_only", "floor"}},
			"floor":        integer("The predictive floor in the group's units, capped at max_floor and the group's max; 0 when there is none (reason says why)."),
			"lead_seconds": number("How far ahead the floor looks: the highest forecast over [now, now + lead]."),
			"quantile":     number("The forecast quantile the floor is taken at."),
			"applied":      boolean("The floor was given to the engine (mode floor and a floor above 0); the changes show whether it raised the number (rule predictive)."),
			"reason":       str("How the floor was found, or why there is none."),
		}),
		"Forecast": respObject(obj{
			"group": str(""), "at": dateTime("When the forecast was made."),
			"ok":           boolean("A forecast could be made; reason says why not."),
			"reason":       str("Why there is no forecast; empty when there is one."),
			"step_seconds": number("The width of a forecast bucket."),
			"band_low":     number("The quantile of each point's low."), "band_high": number("The quantile of each point's high."),
			"points": arrayOf(respObject(obj{"at": dateTime("The bucket's start."), "need": number("Point forecast, units."),
				"low": number("Forecast at band_low, units."), "high": number("Forecast at band_high, units.")})),
			"history": arrayOf(respObject(obj{"at": dateTime("The hour's start."), "need": number("Mean need of the hour's buckets, units."),
				"arrivals": number("Mean arrival estimate, work items a second."), "buckets": integer("Buckets recorded in the hour."),
				"campaign": boolean("A boost was active in one of them.")})),
			"predictive": obj{"oneOf": []obj{ref("Predictive"), {"type": "null"}}, "description": "The latest decision's predictive floor; null without a predictive block or before a decision."},
		}),
		"WarmInstanceCounts": respObject(obj{"ready": integer(""), "entering": integer(""), "leaving": integer("")}),
		"Proposal":           respObject(obj{"policy": str(""), "kind": str(""), "capacity": integer(""), "ok": boolean(""), "reason": str("")}),
		"Change":             respObject(obj{"rule": str(""), "from": integer(""), "to": integer(""), "reason": str("")}),
		"QueueSizing": respObject(obj{
			"policy": str(""), "queue": str(""),
			"arrivals_per_second": number("lambda: the filtered arrival estimate."),
			"backlog":             number("B: messages waiting now."),
			"projected_backlog":   number("Bp: the backlog when capacity ordered now would serve."),
			"budget":              number("The standing backlog allowed: theta x lambda x L."),
			"excess":              number("E = Bp - budget; negative below the budget."),
			"on_its_way":          number("Units credited as on their way (current minus serving, this queue's share)."),
			"lead_seconds":        number("How far ahead the backlog is projected: T, how long capacity ordered now takes to serve, or the age of a surge younger than T."),
			"rate":                number("lambda / (mu x u), units."), "drain": number("E / (mu x eta x L), units."),
			"floor": number("(1 - kappa) x lambda / mu, units."), "need": number("What this queue asks for, units."),
			"term":       str("Which term won: rate, drain, refill or floor."),
			"surge_over": boolean("Above the budget now, within it before new capacity could serve."),
		}),
		"Input":        respObject(obj{"policy": str(""), "name": str(""), "value": number(""), "age_seconds": number(""), "stale": boolean("")}),
		"DecisionList": respObject(obj{"decisions": arrayOf(ref("Decision")), "next": nextProp}),
		"PreviewInput": object(obj{
			"current": integer("Replaces the desired capacity."), "serving": integer("Replaces the serving instances."),
			"metrics": obj{"type": "object", "additionalProperties": obj{"type": "number"}, "description": "Newest metric value by policy name; a name that is not one of the group's target-tracking or step policies is 422 on metrics.<name>."},
			"queues": obj{"type": "object", "description": "Queue readings by queue name; a queue no backlog policy of the group reads is 422 on queues.<name>.", "additionalProperties": object(obj{
				"visible": number(""), "in_flight": number(""), "delayed": number(""),
			})},
			"boost": ref("BoostInput"),
		}),
		"PreviewResult": respObject(obj{"decision": ref("Decision")}),
		"AuditEntry": respObject(obj{
			"id": str(""), "at": dateTime(""), "actor": str("Token name, or headroom."),
			"action": obj{"type": "string", "enum": []string{"boost.create", "boost.update", "boost.cancel", "campaign.create", "override.create", "override.cancel", "override.expire"}},
			"object": str("Id of what changed."), "before": obj{"description": "The object before (null for a create)."},
			"after": obj{"description": "The object after (a cancel's shows it cancelled; null for an expiry)."},
		}),
		"AuditList": respObject(obj{"entries": arrayOf(ref("AuditEntry")), "next": nextProp}),
	}
}

func overrideInputSchema() obj {
	return object(obj{
		"kind":     obj{"type": "string", "enum": []string{kindPin, kindPause, kindBounds}},
		"capacity": integer("pin: the capacity to hold."),
		"min":      integer("bounds: the minimum."), "max": integer("bounds: the maximum."),
		"cap_at_max": boolean("Accept a capacity, min or max above the group's maximum (the lower of the configured max and the ASG's MaxSize); the engine caps it there."),
		"reason":     str("Why; required. Free text: valid UTF-8, no control or bidirectional formatting characters, at most 1024 bytes."),
		"expires_at": str("RFC 3339; at most 7 days away. Exactly one of expires_at and ttl."),
		"ttl":        str("Go duration, at most 168h."),
	}, "kind", "reason")
}

// op describes one operation.
type op struct {
	summary string
	// role is the least role that may call it; "" needs no token.
	role     Role
	params   []obj
	body     string // request schema name
	ok       int
	okSchema string
	okType   string // media type when not JSON
	errs     []int
	idem     bool
	// paged lists a page at a time (limit, cursor, next, Link).
	paged bool
}

func pathParam(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}, "description": desc}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "schema": schema, "description": desc}
}

var (
	groupName    = pathParam("name", "The group's Headroom name.")
	boostID      = pathParam("id", "The boost's id.")
	overID       = pathParam("id", "The override's id.")
	campaignID   = pathParam("id", "The campaign's id.")
	paramSince   = queryParam("since", "RFC 3339 time; only entries at or after it.", obj{"type": "string", "format": "date-time"})
	paramLimit   = queryParam("limit", "At most this many in a page (default 100).", obj{"type": "integer", "minimum": 1, "maximum": maxLimit})
	paramCursor  = queryParam("cursor", "Opaque: where the page starts, as the previous page's next link gives it.", obj{"type": "string"})
	paramAll     = queryParam("all", "Include what no longer applies: ended, expired or cancelled.", obj{"type": "boolean"})
	paramVersion = queryParam("version", "The version read; a mismatch is 409.", obj{"type": "integer", "minimum": 1})
	idemKeyP     = obj{"name": "Idempotency-Key", "in": "header", "required": false,
		"schema":      obj{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKeyLen},
		"description": "Retries with the same key, token and body return the first response with Idempotent-Replayed: true; kept 24 h."}
)

// paths maps every route to its operations, by lower-case method.
func paths() map[string]map[string]op {
	// 429 on reads: an address with too many failed authentications.
	read := []int{401, 403, 429, 503}
	write := []int{400, 401, 403, 409, 413, 415, 422, 429, 503}
	return map[string]map[string]op{
		"/healthz":      {"get": {summary: "The process is alive.", ok: 200, okType: "text/plain"}},
		"/readyz":       {"get": {summary: "The control loop is working (503 with the reason when not).", ok: 200, okType: "text/plain", errs: []int{}}},
		"/metrics":      {"get": {summary: "Prometheus metrics.", ok: 200, okType: "text/plain"}},
		"/openapi.json": {"get": {summary: "This document.", ok: 200, okType: "application/json"}},
		"/v1/groups":    {"get": {summary: "List groups in config order, a page at a time.", role: RoleViewer, params: []obj{paramLimit, paramCursor}, ok: 200, okSchema: "GroupList", errs: append([]int{422}, read...), paged: true}},
		"/v1/groups/{name}": {"get": {summary: "One group, its latest decision, boosts and overrides.", role: RoleViewer,
			params: []obj{groupName}, ok: 200, okSchema: "GroupDetail", errs: append([]int{404}, read...)}},
		"/v1/groups/{name}/decisions": {"get": {summary: "Recent decisions, newest first.", role: RoleViewer,
			params: []obj{groupName, paramSince, paramLimit, paramCursor}, ok: 200, okSchema: "DecisionList", errs: append([]int{404, 422}, read...), paged: true}},
		"/v1/groups/{name}/forecast": {"get": {summary: "The group's need forecast for the next 48 hours from its demand history, the history by the hour, and its latest predictive floor.", role: RoleViewer,
			params: []obj{groupName}, ok: 200, okSchema: "Forecast", errs: append([]int{404}, read...)}},
		"/v1/groups/{name}/preview": {"post": {summary: "Decide the group hypothetically; writes nothing.", role: RoleViewer,
			params: []obj{groupName}, body: "PreviewInput", ok: 200, okSchema: "PreviewResult", errs: []int{400, 401, 403, 404, 413, 415, 422, 429, 503}}},
		"/v1/groups/{name}/overrides": {
			"get": {summary: "Active overrides of the group (all=true: expired and cancelled too).", role: RoleViewer, params: []obj{groupName, paramAll, paramLimit, paramCursor}, ok: 200, okSchema: "OverrideList", errs: append([]int{404, 422}, read...), paged: true},
			"post": {summary: "Create an override (pin, pause or bounds).", role: RoleOperator, params: []obj{groupName},
				body: "OverrideInput", ok: 201, okSchema: "Override", errs: append([]int{404}, write...), idem: true},
		},
		"/v1/boosts": {
			"get": {summary: "Boosts neither ended nor cancelled (all=true: every boost).", role: RoleViewer,
				params: []obj{paramAll, paramLimit, paramCursor}, ok: 200, okSchema: "BoostList", errs: append([]int{422}, read...), paged: true},
			"post": {summary: "Create a boost.", role: RoleOperator, body: "BoostInput", ok: 201, okSchema: "Boost", errs: write, idem: true},
		},
		"/v1/boosts/{id}": {
			"get":    {summary: "One boost.", role: RoleViewer, params: []obj{boostID}, ok: 200, okSchema: "Boost", errs: append([]int{404}, read...)},
			"patch":  {summary: "Change a boost; without version, retried by the server on a concurrent change.", role: RoleOperator, params: []obj{boostID}, body: "BoostPatch", ok: 200, okSchema: "Boost", errs: append([]int{404}, write...), idem: true},
			"delete": {summary: "Cancel a boost; the answer is the cancelled boost, which stays readable.", role: RoleOperator, params: []obj{boostID, paramVersion}, ok: 200, okSchema: "Boost", errs: []int{401, 403, 404, 409, 422, 429, 503}, idem: true},
		},
		"/v1/campaigns": {
			"get": {summary: "Campaigns with a boost neither ended nor cancelled (all=true: every campaign), by start.", role: RoleViewer,
				params: []obj{paramAll, paramLimit, paramCursor}, ok: 200, okSchema: "CampaignList", errs: append([]int{422}, read...), paged: true},
			"post": {summary: "Announce a campaign by its audience: one boost per group, its floor sized from the expected arrivals.", role: RoleOperator, body: "CampaignInput", ok: 201, okSchema: "Campaign", errs: write, idem: true},
		},
		"/v1/campaigns/preview": {"post": {summary: "Size a campaign without storing anything.", role: RoleViewer,
			body: "CampaignInput", ok: 200, okSchema: "Campaign", errs: []int{400, 401, 403, 413, 415, 422, 429, 503}}},
		"/v1/campaigns/{id}": {"get": {summary: "One campaign and its boosts' sizing.", role: RoleViewer, params: []obj{campaignID}, ok: 200, okSchema: "Campaign", errs: append([]int{404}, read...)}},
		"/v1/overrides":      {"get": {summary: "Every active override (all=true: expired and cancelled too).", role: RoleViewer, params: []obj{paramAll, paramLimit, paramCursor}, ok: 200, okSchema: "OverrideList", errs: append([]int{422}, read...), paged: true}},
		"/v1/overrides/{id}": {
			"get":    {summary: "One override.", role: RoleViewer, params: []obj{overID}, ok: 200, okSchema: "Override", errs: append([]int{404}, read...)},
			"delete": {summary: "Cancel an override; the answer is the cancelled override, readable until it expires.", role: RoleOperator, params: []obj{overID, paramVersion}, ok: 200, okSchema: "Override", errs: []int{401, 403, 404, 409, 422, 429, 503}, idem: true},
		},
		"/v1/audit": {"get": {summary: "The audit trail, oldest first.", role: RoleViewer, params: []obj{paramSince, paramLimit, paramCursor}, ok: 200, okSchema: "AuditList", errs: append([]int{422}, read...), paged: true}},
	}
}

var statusText = map[int]string{
	400: "malformed-json (not one JSON object, a duplicate key, nesting over 64 levels, a lone surrogate escape) or unknown-field", 401: "unauthorized", 403: "forbidden", 404: "not-found",
	409: "conflict", 413: "body-too-large", 415: "unsupported-media-type", 422: "invalid-field: every offending field at once (wrong types, out-of-range numbers, unsafe free text, broken rules)", 429: "rate-limited: the token is over api.write_rate, or the client address over api.auth_failure_rate; see Retry-After", 503: "unavailable",
}

// openAPIDocument renders the OpenAPI 3.1 document.
func openAPIDocument() ([]byte, error) {
	ps := obj{}
	for path, ops := range paths() {
		item := obj{}
		for method, o := range ops {
			operation := obj{"summary": o.summary, "operationId": method + " " + path}
			if o.role == "" {
				operation["security"] = []obj{}
			} else {
				operation["description"] = fmt.Sprintf("Needs a %s token.", o.role)
			}
			params := append([]obj(nil), o.params...)
			if o.idem {
				params = append(params, idemKeyP)
			}
			if len(params) > 0 {
				operation["parameters"] = params
			}
			if o.body != "" {
				operation["requestBody"] = obj{"required": o.body != "PreviewInput",
					"content": obj{"application/json": obj{"schema": ref(o.body)}}}
			}
			responses := obj{}
			okContent := obj{"application/json": obj{"schema": ref(o.okSchema)}}
			if o.okType != "" {
				okContent = obj{o.okType: obj{"schema": obj{"type": "string"}}}
			}
			responses[fmt.Sprint(o.ok)] = obj{"description": "Success.", "content": okContent}
			if o.paged {
				responses[fmt.Sprint(o.ok)] = obj{"description": "A page; next and the Link header lead to the next one.", "content": okContent,
					"headers": obj{"Link": obj{"description": `<next page URL>; rel="next", when more follow.`, "schema": obj{"type": "string"}}}}
			}
			for _, code := range o.errs {
				responses[fmt.Sprint(code)] = obj{"description": statusText[code],
					"content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
			}
			if path == "/readyz" {
				responses["503"] = obj{"description": "Not ready, with the reason.", "content": okContent}
			}
			if o.role != "" {
				responses["500"] = obj{"description": "internal", "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
			}
			item[method] = operation
			operation["responses"] = responses
		}
		ps[path] = item
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Headroom admin API", "version": "1",
			"description": "Groups, decisions, previews, boosts, overrides and the audit trail of a Headroom daemon. Errors are RFC 9457 problem details. A method a path does not take is 405 method-not-allowed with an Allow header listing the methods it does."},
		"security": []obj{{"bearer": []string{}}},
		"paths":    ps,
		"components": obj{
			"schemas": schemas(),
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "A token whose SHA-256 (headroom token hash) is configured with role viewer or operator."}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render OpenAPI document: %w", err)
	}
	return b, nil
}
