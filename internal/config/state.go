package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
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
	// TLS, when set, serves the listener over HTTPS.
	TLS TLS `yaml:"tls,omitempty"`
	// WriteRate limits each token's writes (POST, PATCH, DELETE under
	// /v1, previews excepted): "30/m" is 30 a minute.
	WriteRate Rate `yaml:"write_rate"`
	// WriteBurst is how many writes a token may make at once before
	// WriteRate paces it.
	WriteBurst int `yaml:"write_burst"`
	// AuthFailureRate limits failed authentications (a bad API bearer
	// token, a failed dashboard login) per client address: "10/m" is 10
	// a minute. Over it the address is refused with 429.
	AuthFailureRate Rate `yaml:"auth_failure_rate"`
	// AuthFailureBurst is how many failures an address may have at once
	// before AuthFailureRate paces it.
	AuthFailureBurst int `yaml:"auth_failure_burst"`
	// MaxBoostWindow is the longest a boost's window (start to end) may
	// be.
	MaxBoostWindow Duration `yaml:"max_boost_window"`
}

// TLS names the PEM certificate chain and private key of the listener.
// Both or neither are set; the files are read when the daemon starts and
// again whenever they change.
type TLS struct {
	CertFile string `yaml:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty"`
}

// Enabled reports whether t asks for HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Rate is an event rate as written in the file: a whole number of events
// per second, minute or hour ("30/m").
type Rate string

// rateUnits are the periods a Rate may be written per.
var rateUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}

// maxRateCount bounds a Rate's count: far above any human or script
// writing through the admin API, low enough to stay exact in a float.
const maxRateCount = 1_000_000

var errRate = errors.New(`must be a whole number of writes per s, m or h, such as "30/m"`)

// Parse returns r as a count per period ("30/m" is 30 per minute).
func (r Rate) Parse() (count int, per time.Duration, err error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(string(r)), "/")
	if !ok {
		return 0, 0, errRate
	}
	per, ok = rateUnits[strings.TrimSpace(unit)]
	if !ok {
		return 0, 0, errRate
	}
	count, err = strconv.Atoi(strings.TrimSpace(num))
	if err != nil || count < 1 || count > maxRateCount {
		return 0, 0, errRate
	}
	return count, per, nil
}

// Limit returns r in events per second, the unit of
// golang.org/x/time/rate.
func (r Rate) Limit() (rate.Limit, error) {
	count, per, err := r.Parse()
	if err != nil {
		return 0, err
	}
	return rate.Limit(float64(count) / per.Seconds()), nil
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
	// DefaultWriteBurst and DefaultWriteRate let a person or a script make
	// a burst of changes, then one a second, while a runaway client
	// cannot flood the store and the audit trail.
	DefaultWriteBurst = 10
	maxWriteBurst     = 10_000
)

// DefaultWriteRate is the default api.write_rate.
const DefaultWriteRate Rate = "60/m"

// DefaultAuthFailureRate and DefaultAuthFailureBurst are the defaults of
// api.auth_failure_rate and api.auth_failure_burst: a person who mistypes
// a token a few times never meets the limit, while a client guessing
// tokens from one address is held to one guess every six seconds. Guessing
// a token of 256 random bits is hopeless at any rate; the limit slows
// guesses at weak tokens and keeps failures from flooding the log.
const (
	DefaultAuthFailureRate  Rate = "10/m"
	DefaultAuthFailureBurst      = 10
	maxAuthFailureBurst          = 10_000
)

// DefaultMaxBoostWindow is the default api.max_boost_window: 31 days, the
// longest month, covers any campaign; a longer window is much more likely
// a typo (a year 9999 end) than a plan, and a boost holds capacity, which
// costs money, for its whole window.
const DefaultMaxBoostWindow = 31 * 24 * time.Hour

// maxMaxBoostWindow bounds api.max_boost_window: a year.
const maxMaxBoostWindow = 366 * 24 * time.Hour

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
	if !present("api.write_rate") {
		c.API.WriteRate = DefaultWriteRate
	}
	if !present("api.write_burst") {
		c.API.WriteBurst = DefaultWriteBurst
	}
	if !present("api.auth_failure_rate") {
		c.API.AuthFailureRate = DefaultAuthFailureRate
	}
	if !present("api.auth_failure_burst") {
		c.API.AuthFailureBurst = DefaultAuthFailureBurst
	}
	if !present("api.max_boost_window") {
		c.API.MaxBoostWindow = Duration(DefaultMaxBoostWindow)
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
	if _, _, err := c.API.WriteRate.Parse(); err != nil {
		ps.add("api.write_rate", fmt.Sprintf("%q %v", c.API.WriteRate, err))
	}
	if c.API.WriteBurst < 1 || c.API.WriteBurst > maxWriteBurst {
		ps.add("api.write_burst", fmt.Sprintf("must be between 1 and %d", maxWriteBurst))
	}
	if _, _, err := c.API.AuthFailureRate.Parse(); err != nil {
		ps.add("api.auth_failure_rate", fmt.Sprintf("%q %v", c.API.AuthFailureRate, err))
	}
	if c.API.AuthFailureBurst < 1 || c.API.AuthFailureBurst > maxAuthFailureBurst {
		ps.add("api.auth_failure_burst", fmt.Sprintf("must be between 1 and %d", maxAuthFailureBurst))
	}
	if w := c.API.MaxBoostWindow.Std(); w < time.Hour || w > maxMaxBoostWindow {
		ps.add("api.max_boost_window", fmt.Sprintf("must be between 1h and %s", maxMaxBoostWindow))
	}
	c.API.TLS.check(ps)
}

// check requires both files or neither, and that each exists and is a
// regular file. Loading the pair is left to the daemon's start, which
// reports a mismatched or malformed pair naming both files.
func (t TLS) check(ps *problems) {
	if !t.Enabled() {
		return
	}
	for _, f := range []struct{ field, path, other string }{
		{"api.tls.cert_file", t.CertFile, "api.tls.key_file"},
		{"api.tls.key_file", t.KeyFile, "api.tls.cert_file"},
	} {
		if f.path == "" {
			ps.add(f.field, fmt.Sprintf("is required when %s is set", f.other))
			continue
		}
		fi, err := os.Stat(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ps.add(f.field, fmt.Sprintf("%q does not exist", f.path))
		case err != nil:
			ps.add(f.field, fmt.Sprintf("cannot read %q: %v", f.path, err))
		case !fi.Mode().IsRegular():
			ps.add(f.field, fmt.Sprintf("%q is not a regular file", f.path))
		}
	}
}
