package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	ecssdk "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/headroom-dev/headroom/internal/asg"
	"github.com/headroom-dev/headroom/internal/clock"
	"github.com/headroom-dev/headroom/internal/config"
	"github.com/headroom-dev/headroom/internal/source"
	"github.com/headroom-dev/headroom/internal/target"
	"github.com/headroom-dev/headroom/internal/target/ecs"
	"github.com/headroom-dev/headroom/internal/target/kube"
)

// NewAWS builds a controller over real AWS clients made from awsCfg (which
// awsapi has already instrumented): one client set for each account and
// region the groups name (config.Group.AWS), each with its own Auto
// Scaling actuator, CloudWatch and SQS sources and write budget, and a
// target.Router that sends each group's calls to its own. serve, demo and
// simulate all wire the controller here, so the simulator runs exactly
// what production runs. deps supplies the rest (clock, log, telemetry,
// leader, planner). Every Auto Scaling write of one account and region
// draws on one write budget of cfg.AWS's rate and burst; a budget deps
// brings is the daemon's own account's.
func NewAWS(cfg *config.Config, awsCfg aws.Config, deps Deps, opts Options) (*Controller, error) {
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	w := &wiring{base: awsCfg, cfg: cfg, clk: deps.Clock, sets: map[target.Account]*clientSet{}, clusters: map[[2]string]*kube.Backend{}}
	switch b := deps.Budget.(type) {
	case nil:
		// One bucket for every Auto Scaling write of an account and
		// region: the capacity writes the controller orders and the
		// mirror's scheduled actions and MinSize. A config that was not
		// parsed (no rate) has no budget.
		if rate, burst := cfg.AWS.WritesPerSecond(), cfg.AWS.AutoScalingWriteBurst; rate > 0 && burst > 0 {
			w.budgets = asg.NewBudgets(rate, burst)
		}
	case *asg.WriteBudget:
		w.own = b
	}
	// A budget deps brings paces the daemon's own account's Auto Scaling
	// writes, whatever its type.
	ownBudget := deps.Budget
	router := target.NewRouter()
	pols := &policyRouter{routes: map[string]asgRoute{}}
	metrics := &metricRouter{byKey: map[string]*clientSet{}}
	queues := &queueRouter{byQueue: map[string]*clientSet{}}
	budgetOf := map[string]WriteBudget{}
	for i, g := range cfg.Groups {
		cs, err := w.set(g.AWS.Account())
		if err != nil {
			return nil, fmt.Errorf("groups[%d].aws: %w", i, err)
		}
		key := g.TargetKey()
		switch g.Kind() {
		case target.KindASG:
			router.Add(key, cs.asg, g.ASG)
			pols.routes[key] = asgRoute{cs.asg, g.ASG}
			switch {
			case cs.budget != nil:
				budgetOf[key] = cs.budget
			case cs.account == (target.Account{}) && ownBudget != nil:
				budgetOf[key] = ownBudget
			}
		case target.KindECSService:
			router.Add(key, cs.services(), g.TargetID())
			if cs.ecsBudget != nil {
				budgetOf[key] = cs.ecsBudget
			}
		case target.KindKubernetes:
			b, err := w.cluster(g.Target.Kubeconfig, g.Target.Context)
			if err != nil {
				return nil, fmt.Errorf("groups[%d].target: %w", i, err)
			}
			// No write budget: the client's own rate limit (kube.DefaultQPS)
			// paces every request to the cluster.
			router.Add(key, b, g.TargetID())
		default:
			return nil, fmt.Errorf("groups[%d].target.kind: %s targets are not built into this daemon", i, g.Kind())
		}
		for _, q := range g.MetricQueries() {
			metrics.byKey[q.Key] = cs
		}
		for _, q := range g.Queues() {
			if _, ok := queues.byQueue[q]; !ok {
				queues.byQueue[q] = cs
			}
		}
	}
	metrics.sets, queues.sets = w.order, w.order
	deps.Groups = router
	deps.Scaler = router
	deps.Mirror = router
	deps.Policies = pols
	deps.WarmPools = pols
	deps.Metrics = metrics
	deps.Queues = queues
	// Each target draws on its own service's budget in its own account
	// and region (a Kubernetes workload on none: its client's rate limit
	// paces it).
	deps.BudgetFor = func(key string) WriteBudget {
		if b, ok := budgetOf[key]; ok {
			return b
		}
		return nil
	}
	return New(cfg, deps, opts)
}

// accountOf is the account id of a role's ARN, "" for none (the daemon's
// own account): two roles into one account share its buckets, as AWS
// throttles per account and region.
func accountOf(roleARN string) string {
	_, rest, ok := strings.Cut(roleARN, ":iam::")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// clientSet is the clients of one account and region.
type clientSet struct {
	account target.Account
	awsCfg  aws.Config
	asg     *asg.Actuator
	cw      *source.CloudWatch
	sqs     *source.SQS
	// budget paces the account and region's Auto Scaling writes; nil: no
	// limit.
	budget *asg.WriteBudget
	// ecs reads and resizes the account and region's ECS services, made
	// on first use; ecsBudget paces its UpdateService calls.
	ecs       *ecs.Backend
	ecsBudget *asg.WriteBudget
	clk       clock.Clock
}

// services returns the account and region's ECS backend. Its
// UpdateService calls draw on a budget of their own, with the Auto
// Scaling writes' rate and burst: ECS throttles each account and region
// from its own token buckets ("Request throttling for the Amazon ECS
// API"), and Headroom takes the same small share of them.
func (cs *clientSet) services() *ecs.Backend {
	if cs.ecs == nil {
		cs.ecs = ecs.New(ecssdk.NewFromConfig(cs.awsCfg), aas.NewFromConfig(cs.awsCfg), cs.clk)
	}
	return cs.ecs
}

// wiring makes each account's client set once.
type wiring struct {
	base    aws.Config
	cfg     *config.Config
	clk     clock.Clock
	budgets *asg.Budgets
	own     *asg.WriteBudget
	sets    map[target.Account]*clientSet
	order   []*clientSet
	// clusters holds one Kubernetes backend per kubeconfig and context.
	clusters map[[2]string]*kube.Backend
}

// cluster returns the Kubernetes backend of a kubeconfig file and context
// ("" for the in-cluster configuration), made on first use. Making one
// sends no request.
func (w *wiring) cluster(kubeconfig, context string) (*kube.Backend, error) {
	k := [2]string{kubeconfig, context}
	if b, ok := w.clusters[k]; ok {
		return b, nil
	}
	rc, err := kube.RESTConfig(kubeconfig, context)
	if err != nil {
		return nil, err
	}
	b, err := kube.New(rc)
	if err != nil {
		return nil, err
	}
	w.clusters[k] = b
	return b, nil
}

// set returns the client set of account a, made on first use.
func (w *wiring) set(a target.Account) (*clientSet, error) {
	if cs, ok := w.sets[a]; ok {
		return cs, nil
	}
	c := AccountConfig(w.base, a, w.clk)
	if c.Region == "" && a != (target.Account{}) {
		return nil, fmt.Errorf("no region: set region here or for the daemon")
	}
	cs := &clientSet{account: a, awsCfg: c, clk: w.clk}
	cs.asg = asg.New(autoscaling.NewFromConfig(c), w.clk)
	switch {
	case a == (target.Account{}) && w.own != nil:
		cs.budget = w.own
	case w.budgets != nil:
		// The role names the account; the key keeps two accounts' (and
		// two regions') buckets apart, as AWS does.
		cs.budget = w.budgets.For(asg.BudgetKey{Account: accountOf(a.RoleARN), Region: c.Region})
	}
	if cs.budget != nil {
		cs.asg.SetWriteBudget(cs.budget)
	}
	if w.budgets != nil {
		cs.ecsBudget = w.budgets.For(asg.BudgetKey{Service: "ecs", Account: accountOf(a.RoleARN), Region: c.Region})
	}
	cs.cw = source.NewCloudWatch(cloudwatch.NewFromConfig(c))
	cs.sqs = source.NewSQS(sqs.NewFromConfig(c), w.clk, w.cfg.SQSConcurrency)
	w.sets[a] = cs
	w.order = append(w.order, cs)
	return cs, nil
}

// credentialsRenewBefore is how long before their expiry assumed-role
// credentials are renewed: stscreds asks for 15-minute sessions
// (stscreds.DefaultDuration), so they are renewed every 10 minutes, and a
// daemon whose clock lags AWS's by less than this never signs with
// credentials AWS has expired.
const credentialsRenewBefore = 5 * time.Minute

// AccountConfig is base made for account a: its region, and credentials
// that assume a's role with STS AssumeRole (stscreds, with its external
// id and session name), kept until credentialsRenewBefore before they
// expire by clk. The AssumeRole calls are signed with base's own
// credentials, in a's region (STS's regional endpoint). The zero Account
// is base itself.
func AccountConfig(base aws.Config, a target.Account, clk clock.Clock) aws.Config {
	c := base.Copy()
	if a.Region != "" {
		c.Region = a.Region
	}
	if a.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(c), a.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = a.SessionName
			if a.ExternalID != "" {
				o.ExternalID = aws.String(a.ExternalID)
			}
		})
		c.Credentials = &credentialsCache{provider: provider, clk: clk}
	}
	return c
}

// credentialsCache keeps one provider's credentials until
// credentialsRenewBefore before they expire, by the daemon's clock rather
// than the machine's (aws.CredentialsCache reads the machine's), so that
// a daemon on an injected clock (the simulator, the tests) renews them
// exactly when production would. Concurrent callers wait for one
// retrieval. A failed renewal is not kept: the credentials in hand serve
// until they expire, and the next call tries again.
type credentialsCache struct {
	provider aws.CredentialsProvider
	clk      clock.Clock

	mu    sync.Mutex
	creds aws.Credentials
	ok    bool
}

// Retrieve returns the cached credentials, or retrieves new ones when
// there are none or they expire within credentialsRenewBefore.
func (c *credentialsCache) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && (!c.creds.CanExpire || c.clk.Now().Add(credentialsRenewBefore).Before(c.creds.Expires)) {
		return c.creds, nil
	}
	creds, err := c.provider.Retrieve(ctx)
	if err != nil {
		if c.ok && c.clk.Now().Before(c.creds.Expires) {
			return c.creds, nil
		}
		c.ok = false
		return aws.Credentials{}, err
	}
	c.creds, c.ok = creds, true
	return creds, nil
}

// asgRoute is an Auto Scaling group's actuator and name.
type asgRoute struct {
	a    *asg.Actuator
	name string
}

// policyRouter sends the Auto Scaling groups' policy reads and warm pool
// writes to each group's own actuator. Targets of other kinds have no
// Auto Scaling policies or warm pools: their other controllers are
// conflicts, found by their backends' Describe.
type policyRouter struct {
	routes map[string]asgRoute
}

// Policies reads the groups' scaling policies, each account's in one
// sweep, and returns them by key.
func (p *policyRouter) Policies(ctx context.Context, keys []string) asg.Policies {
	byActuator := map[*asg.Actuator][]string{}
	var order []*asg.Actuator
	for _, k := range keys {
		rt, ok := p.routes[k]
		if !ok {
			continue
		}
		if _, seen := byActuator[rt.a]; !seen {
			order = append(order, rt.a)
		}
		byActuator[rt.a] = append(byActuator[rt.a], k)
	}
	out := asg.Policies{ByGroup: map[string][]asg.Policy{}}
	for i, a := range order {
		ks := byActuator[a]
		names := make([]string, len(ks))
		for j, k := range ks {
			names[j] = p.routes[k].name
		}
		got := a.Policies(ctx, names)
		for _, k := range ks {
			if pols, ok := got.ByGroup[p.routes[k].name]; ok {
				out.ByGroup[k] = pols
			}
		}
		// The answer is as old as its oldest sweep, and failed if any did.
		if i == 0 || got.ReadAt.Before(out.ReadAt) {
			out.ReadAt = got.ReadAt
		}
		if out.Err == nil {
			out.Err = got.Err
		}
	}
	return out
}

// SetWarmPoolMinSize sets the warm pool MinSize of the group key names.
func (p *policyRouter) SetWarmPoolMinSize(ctx context.Context, key string, w asg.WarmPool, minSize int) error {
	rt, ok := p.routes[key]
	if !ok {
		return fmt.Errorf("%w %q", target.ErrNoRoute, key)
	}
	return rt.a.SetWarmPoolMinSize(ctx, rt.name, w, minSize)
}

// RecordWarmPoolChange records Headroom's change to the group's warm pool.
func (p *policyRouter) RecordWarmPoolChange(ctx context.Context, key string, c *asg.WarmPoolChange) error {
	rt, ok := p.routes[key]
	if !ok {
		return fmt.Errorf("%w %q", target.ErrNoRoute, key)
	}
	return rt.a.RecordWarmPoolChange(ctx, rt.name, c)
}

// metricRouter reads each group's metric queries with its account's
// CloudWatch client: GetMetricData batches per account and region.
type metricRouter struct {
	byKey map[string]*clientSet
	sets  []*clientSet
}

// Read reads the queries, each account's in its own batched calls, the
// accounts in parallel.
func (m *metricRouter) Read(ctx context.Context, now time.Time, queries []source.MetricQuery) map[string]source.Series {
	if len(m.sets) == 1 {
		return m.sets[0].cw.Read(ctx, now, queries)
	}
	by := map[*clientSet][]source.MetricQuery{}
	for _, q := range queries {
		cs := m.byKey[q.Key]
		if cs == nil {
			cs = m.sets[0]
		}
		by[cs] = append(by[cs], q)
	}
	out := make(map[string]source.Series, len(queries))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for cs, qs := range by {
		wg.Go(func() {
			got := cs.cw.Read(ctx, now, qs)
			mu.Lock()
			defer mu.Unlock()
			for k, v := range got {
				out[k] = v
			}
		})
	}
	wg.Wait()
	return out
}

// queueRouter reads each queue with the account of the first group that
// names it. A queue named by its URL is the same queue whichever account
// reads it; a bare name is resolved in that account (config validation
// refuses one bare name in groups of two accounts).
type queueRouter struct {
	byQueue map[string]*clientSet
	sets    []*clientSet
}

// Read reads the queues, each account's with its own client, the
// accounts in parallel.
func (q *queueRouter) Read(ctx context.Context, queues []string) map[string]source.QueueReading {
	if len(q.sets) == 1 {
		return q.sets[0].sqs.Read(ctx, queues)
	}
	by := map[*clientSet][]string{}
	for _, u := range queues {
		cs := q.byQueue[u]
		if cs == nil {
			cs = q.sets[0]
		}
		by[cs] = append(by[cs], u)
	}
	out := make(map[string]source.QueueReading, len(queues))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for cs, us := range by {
		wg.Go(func() {
			got := cs.sqs.Read(ctx, us)
			mu.Lock()
			defer mu.Unlock()
			for k, v := range got {
				out[k] = v
			}
		})
	}
	wg.Wait()
	return out
}
