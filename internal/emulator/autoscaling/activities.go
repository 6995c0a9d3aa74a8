package autoscaling

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// maxActivityIDs is the documented maximum of ActivityIds per
// DescribeScalingActivities call.
const maxActivityIDs = 50

type groupActivity struct {
	g *group
	a *activity
}

func (s *Service) describeScalingActivities(p params, now time.Time) (any, *apiError) {
	maxRecords, err := p.maxRecords(100)
	if err != nil {
		return nil, err
	}
	ids, _ := p.list("ActivityIds")
	if len(ids) > maxActivityIDs {
		return nil, validationf("1 validation error detected: Value at 'activityIds' failed to satisfy constraint: Member must have length less than or equal to %d", maxActivityIDs)
	}
	var groups []*group
	if name, ok := p.str("AutoScalingGroupName"); ok {
		if g, ok := s.groups[name]; ok {
			groups = append(groups, g)
		}
	} else {
		for _, n := range sortedKeys(s.groups) {
			groups = append(groups, s.groups[n])
		}
	}
	match, err := readActivityFilters(p)
	if err != nil {
		return nil, err
	}
	offset := 0
	if tok, ok := p.str("NextToken"); ok {
		v, ok := decodeToken(tok, "act:")
		n, convErr := strconv.Atoi(v)
		if !ok || convErr != nil || n < 0 {
			return nil, invalidToken(tok)
		}
		offset = n
	}

	var all []groupActivity
	for _, g := range groups {
		for _, a := range g.activities {
			if len(ids) > 0 && !slices.Contains(ids, a.id) {
				continue
			}
			if !match(a) {
				continue
			}
			all = append(all, groupActivity{g, a})
		}
	}
	// AWS lists the most recent activities first.
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].a.start.Equal(all[j].a.start) {
			return all[i].a.start.After(all[j].a.start)
		}
		return all[i].a.id > all[j].a.id
	})
	res := xmlActivitiesResult{Activities: []xmlActivity{}}
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+s.page(maxRecords), len(all))
	for _, ga := range all[offset:end] {
		res.Activities = append(res.Activities, xmlActivityOf(ga.g, ga.a))
	}
	if end < len(all) {
		res.NextToken = encodeToken("act:", strconv.Itoa(end))
	}
	return res, nil
}

// readActivityFilters reads the filters DescribeScalingActivities takes:
// Status, StartTimeLowerBound and StartTimeUpperBound.
func readActivityFilters(p params) (func(*activity) bool, *apiError) {
	var tests []func(*activity) bool
	for _, pre := range p.structs("Filters") {
		name, _ := p.str(pre + ".Name")
		values, _ := p.list(pre + ".Values")
		switch name {
		case "Status":
			tests = append(tests, func(a *activity) bool { return slices.Contains(values, a.status) })
		case "StartTimeLowerBound", "StartTimeUpperBound":
			if len(values) != 1 {
				return nil, validationf("Filter %s takes exactly one value", name)
			}
			t, err := time.Parse(time.RFC3339Nano, values[0])
			if err != nil {
				return nil, validationf("Filter %s value '%s' is not an ISO 8601 timestamp", name, values[0])
			}
			if name == "StartTimeLowerBound" {
				tests = append(tests, func(a *activity) bool { return !a.start.Before(t) })
			} else {
				tests = append(tests, func(a *activity) bool { return !a.start.After(t) })
			}
		default:
			return nil, validationf("Filter type %s is not correct. Allowed Filter types are: Status StartTimeLowerBound StartTimeUpperBound", name)
		}
	}
	return func(a *activity) bool {
		for _, t := range tests {
			if !t(a) {
				return false
			}
		}
		return true
	}, nil
}

func xmlActivityOf(g *group, a *activity) xmlActivity {
	x := xmlActivity{
		ActivityId:           a.id,
		AutoScalingGroupARN:  g.arn,
		AutoScalingGroupName: g.name,
		Cause:                a.cause,
		Description:          a.description,
		Details:              a.details,
		Progress:             a.progress,
		StartTime:            timestamp(a.start),
		StatusCode:           a.status,
		StatusMessage:        a.statusMessage,
	}
	if !a.end.IsZero() {
		x.EndTime = timestamp(a.end)
	}
	return x
}
