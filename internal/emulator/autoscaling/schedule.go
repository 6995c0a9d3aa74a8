package autoscaling

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"
)

const (
	// maxScheduledActions is AWS's quota of scheduled actions per Auto
	// Scaling group (Amazon EC2 Auto Scaling service quotas).
	maxScheduledActions = 125
	// maxScheduledActionNames is the documented maximum of
	// ScheduledActionNames per DescribeScheduledActions call.
	maxScheduledActionNames = 50
)

type scheduledAction struct {
	name, arn         string
	min, max, desired *int
	start, end        time.Time // as given; zero when absent
	recurrence        string
	cron              *cronSpec
	timeZone          string
	loc               *time.Location
	// next is when the action fires next; zero means never.
	next time.Time
}

func (s *Service) putScheduledUpdateGroupAction(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	name, err := p.name("ScheduledActionName")
	if err != nil {
		return nil, err
	}
	a := &scheduledAction{name: name, loc: time.UTC}
	if a.min, err = p.int("MinSize", maxCapacity); err != nil {
		return nil, err
	}
	if a.max, err = p.int("MaxSize", maxCapacity); err != nil {
		return nil, err
	}
	if a.desired, err = p.int("DesiredCapacity", maxCapacity); err != nil {
		return nil, err
	}
	if a.min == nil && a.max == nil && a.desired == nil {
		return nil, validationf("At least one of MinSize, MaxSize or DesiredCapacity must be specified.")
	}
	if a.min != nil && a.max != nil && *a.min > *a.max {
		return nil, validationf("Max bound, %d, must be greater than or equal to min bound, %d", *a.max, *a.min)
	}
	start, err := p.time("StartTime")
	if err != nil {
		return nil, err
	}
	if start == nil {
		// Time is the older name of StartTime.
		if start, err = p.time("Time"); err != nil {
			return nil, err
		}
	}
	end, err := p.time("EndTime")
	if err != nil {
		return nil, err
	}
	if tz, ok := p.str("TimeZone"); ok && tz != "" {
		loc, locErr := loadZone(tz)
		if locErr != nil {
			return nil, validationf("Invalid time zone: %s", tz)
		}
		a.timeZone, a.loc = tz, loc
	}
	if rec, ok := p.str("Recurrence"); ok && rec != "" {
		c, cronErr := parseCron(rec)
		if cronErr != nil {
			return nil, validationf("Given recurrence string is invalid: %v", cronErr)
		}
		a.recurrence, a.cron = rec, c
	}
	if start != nil {
		if start.Before(now) {
			return nil, validationf("Given start time is in the past")
		}
		a.start = *start
	}
	if end != nil {
		if !end.After(now) {
			return nil, validationf("Given end time is in the past")
		}
		if start != nil && !end.After(*start) {
			return nil, validationf("Start time cannot be equal to or after end time")
		}
		a.end = *end
	}
	if _, exists := g.actions[name]; !exists && len(g.actions) >= maxScheduledActions {
		return nil, &apiError{status: http.StatusBadRequest, code: "LimitExceeded", message: fmt.Sprintf("You have reached the maximum number of %d scheduled actions for this Auto Scaling group.", maxScheduledActions)}
	}
	switch {
	case start != nil:
		// With a recurrence, AWS runs the action at StartTime and then on
		// the recurrence (PutScheduledUpdateGroupAction, StartTime).
		a.next = a.start
	case a.cron != nil:
		a.next = a.cron.next(now, a.loc)
	default:
		a.next = now
	}
	if !a.end.IsZero() && a.next.After(a.end) {
		a.next = time.Time{}
	}
	a.arn = fmt.Sprintf("arn:aws:autoscaling:%s:%s:scheduledUpdateGroupAction:%s:autoScalingGroupName/%s:scheduledActionName/%s",
		s.region, s.account, uuidFrom(s.nextID()), g.name, name)
	g.actions[name] = a
	return nil, nil
}

// loadZone loads an IANA time zone; "Local" names the host's zone, which
// AWS does not know.
func loadZone(tz string) (*time.Location, error) {
	if tz == "Local" {
		return nil, fmt.Errorf("unknown time zone %s", tz)
	}
	return time.LoadLocation(tz)
}

// fire runs a due scheduled action at t and schedules its next run. While
// ScheduledActions is suspended the run is skipped, not deferred. A
// one-time action is deleted after its time, as AWS does.
func (s *Service) fire(g *group, a *scheduledAction, t time.Time) {
	if !g.isSuspended(ProcessScheduledActions) {
		s.applyScheduled(g, a, t)
	}
	if a.cron == nil {
		delete(g.actions, a.name)
		return
	}
	n := a.cron.next(t, a.loc)
	if n.IsZero() || (!a.end.IsZero() && n.After(a.end)) {
		delete(g.actions, a.name)
		return
	}
	a.next = n
}

func (s *Service) applyScheduled(g *group, a *scheduledAction, t time.Time) {
	lo, hi, desired, err := newBounds(g, a.min, a.max, a.desired)
	if err != nil {
		s.addActivity(g, &activity{
			description:   "Updating group constraints by scheduled action " + a.name,
			cause:         fmt.Sprintf("At %s a scheduled action update of AutoScalingGroup constraints failed.", causeTime(t)),
			status:        activityFailed,
			statusMessage: err.message,
			progress:      100,
			start:         t,
			end:           t,
		})
		return
	}
	old := g.desired
	g.min, g.max = lo, hi
	cause := ""
	if desired != old {
		cause = fmt.Sprintf("At %s a scheduled action update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity from %d to %d.",
			causeTime(t), lo, hi, desired, old, desired)
	}
	s.setDesired(g, desired, cause, t)
}

func (s *Service) deleteScheduledAction(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	name, err := p.name("ScheduledActionName")
	if err != nil {
		return nil, err
	}
	if _, ok := g.actions[name]; !ok {
		// AWS answers a missing name with ValidationError "Scheduled
		// action name not found", also when a one-time action has already
		// run and been removed.
		return nil, validationf("Scheduled action name not found")
	}
	delete(g.actions, name)
	return nil, nil
}

func (s *Service) describeScheduledActions(p params, now time.Time) (any, *apiError) {
	maxRecords, err := p.maxRecords(50)
	if err != nil {
		return nil, err
	}
	names, _ := p.list("ScheduledActionNames")
	if len(names) > maxScheduledActionNames {
		return nil, validationf("1 validation error detected: Value at 'scheduledActionNames' failed to satisfy constraint: Member must have length less than or equal to %d", maxScheduledActionNames)
	}
	from, err := p.time("StartTime")
	if err != nil {
		return nil, err
	}
	to, err := p.time("EndTime")
	if err != nil {
		return nil, err
	}
	var groups []*group
	if gname, ok := p.str("AutoScalingGroupName"); ok {
		g, ok := s.groups[gname]
		if !ok {
			return nil, notFound(gname)
		}
		groups = append(groups, g)
	} else {
		for _, n := range sortedKeys(s.groups) {
			groups = append(groups, s.groups[n])
		}
	}
	offset := 0
	if tok, ok := p.str("NextToken"); ok {
		v, ok := decodeToken(tok, "sch:")
		n, convErr := strconv.Atoi(v)
		if !ok || convErr != nil || n < 0 {
			return nil, invalidToken(tok)
		}
		offset = n
	}
	var all []xmlScheduledAction
	for _, g := range groups {
		actions := make([]*scheduledAction, 0, len(g.actions))
		for _, a := range g.actions {
			actions = append(actions, a)
		}
		sort.Slice(actions, func(i, j int) bool { return actions[i].name < actions[j].name })
		for _, a := range actions {
			if len(names) > 0 {
				if !slices.Contains(names, a.name) {
					continue
				}
			} else if (from != nil && a.next.Before(*from)) || (to != nil && a.next.After(*to)) {
				// Start and end filters apply only without names.
				continue
			}
			all = append(all, xmlScheduledActionOf(g, a))
		}
	}
	res := xmlScheduledActionsResult{ScheduledUpdateGroupActions: []xmlScheduledAction{}}
	offset = min(offset, len(all))
	end := min(offset+s.page(maxRecords), len(all))
	res.ScheduledUpdateGroupActions = append(res.ScheduledUpdateGroupActions, all[offset:end]...)
	if end < len(all) {
		res.NextToken = encodeToken("sch:", strconv.Itoa(end))
	}
	return res, nil
}

// xmlScheduledActionOf describes an action; StartTime and Time give its
// next run, which for a recurring action moves on after each run.
func xmlScheduledActionOf(g *group, a *scheduledAction) xmlScheduledAction {
	x := xmlScheduledAction{
		AutoScalingGroupName: g.name,
		DesiredCapacity:      a.desired,
		MaxSize:              a.max,
		MinSize:              a.min,
		Recurrence:           a.recurrence,
		ScheduledActionARN:   a.arn,
		ScheduledActionName:  a.name,
		TimeZone:             a.timeZone,
	}
	if !a.next.IsZero() {
		x.StartTime = timestamp(a.next)
		x.Time = x.StartTime
	}
	if !a.end.IsZero() {
		x.EndTime = timestamp(a.end)
	}
	return x
}
