package config

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"time"
)

// Store backends.
const (
	BackendBolt     = "bolt"
	BackendDynamoDB = "dynamodb"
)

// Store says where Headroom keeps boosts, overrides, the audit trail and
// decision history.
type Store struct {
	// Backend is "bolt" (one file, one replica) or "dynamodb" (one table,
	// many replicas).
	Backend string `yaml:"backend"`
	// Path is the bolt file.
	Path string `yaml:"path,omitempty"`
	// Table is the DynamoDB table.
	Table string `yaml:"table,omitempty"`
	// Decisions bounds the decision history kept per group.
	Decisions Retention `yaml:"decisions"`
}

// Retention bounds decision history per group: at most Keep decisions, none
// older than MaxAge.
type Retention struct {
	Keep   int      `yaml:"keep"`
	MaxAge Duration `yaml:"max_age"`
}

// API configures the admin API, served on Listen next to /metrics.
type API struct {
	// Tokens are the bearer tokens the API accepts, as SHA-256 hashes
	// (`headroom token hash` prints one). No tokens: every /v1 call is
	// refused.
	Tokens []Token `yaml:"tokens,omitempty"`
}

// Token is one API token: a name for the audit trail, a role, and the hex
// SHA-256 of the secret.
type Token struct {
	Name   string `yaml:"name"`
	Role   string `yaml:"role"`
	SHA256 string `yaml:"sha256"`
}

// Token roles.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
)

// Defaults of the state keys.
const (
	DefaultStorePath     = "headroom.db"
	DefaultDecisionsKeep = 1000
	DefaultDecisionsAge  = 7 * 24 * time.Hour
	maxDecisionsKeep     = 100_000
	maxDecisionsAge      = 90 * 24 * time.Hour
)

// tokenNameRE keeps token names printable in the audit trail and logs.
var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// dynamoTableRE is DynamoDB's table name rule: 3-255 of [a-zA-Z0-9_.-]
// (CreateTable, Amazon DynamoDB API Reference).
var dynamoTableRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

func (c *Config) applyStateDefaults(present func(path string) bool) {
	if !present("store.backend") {
		c.Store.Backend = BackendBolt
	}
	if !present("store.path") && c.Store.Backend == BackendBolt {
		c.Store.Path = DefaultStorePath
	}
	if !present("store.decisions.keep") {
		c.Store.Decisions.Keep = DefaultDecisionsKeep
	}
	if !present("store.decisions.max_age") {
		c.Store.Decisions.MaxAge = Duration(DefaultDecisionsAge)
	}
}

func (c *Config) checkState(ps *problems) {
	s := c.Store
	switch s.Backend {
	case BackendBolt:
		if s.Path == "" {
			ps.add("store.path", "is required for the bolt backend")
		}
		if s.Table != "" {
			ps.add("store.table", "is only for the dynamodb backend")
		}
	case BackendDynamoDB:
		if !dynamoTableRE.MatchString(s.Table) {
			ps.add("store.table", fmt.Sprintf("%q is not a DynamoDB table name (3-255 letters, digits, '_', '-', '.')", s.Table))
		}
		if s.Path != "" {
			ps.add("store.path", "is only for the bolt backend")
		}
	default:
		ps.add("store.backend", fmt.Sprintf("%q is not a backend: want %q or %q", s.Backend, BackendBolt, BackendDynamoDB))
	}
	if s.Decisions.Keep < 1 || s.Decisions.Keep > maxDecisionsKeep {
		ps.add("store.decisions.keep", fmt.Sprintf("must be between 1 and %d", maxDecisionsKeep))
	}
	if s.Decisions.MaxAge < Duration(time.Minute) || s.Decisions.MaxAge > Duration(maxDecisionsAge) {
		ps.add("store.decisions.max_age", fmt.Sprintf("must be between 1m and %s", time.Duration(maxDecisionsAge)))
	}
	names := map[string]int{}
	for i, t := range c.API.Tokens {
		path := fmt.Sprintf("api.tokens[%d]", i)
		if !tokenNameRE.MatchString(t.Name) {
			ps.add(path+".name", fmt.Sprintf("%q must be 1-64 letters, digits, '.', '_', '@' or '-'", t.Name))
		} else if j, ok := names[t.Name]; ok {
			ps.add(path+".name", fmt.Sprintf("%q is already the name of api.tokens[%d]", t.Name, j))
		} else {
			names[t.Name] = i
		}
		if t.Role != RoleViewer && t.Role != RoleOperator {
			ps.add(path+".role", fmt.Sprintf("%q is not a role: want %q or %q", t.Role, RoleViewer, RoleOperator))
		}
		if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != 32 {
			ps.add(path+".sha256", "must be the 64 hex digits of a SHA-256 hash (`headroom token hash` prints one); never the token itself")
		}
	}
}
