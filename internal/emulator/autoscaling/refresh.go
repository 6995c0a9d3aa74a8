package autoscaling

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Instance refresh statuses (types.InstanceRefreshStatus).
const (
	refreshInProgress = "InProgress"
	refreshSuccessful = "Successful"
	refreshCancelled  = "Cancelled"
)

type refresh struct {
	id, status, reason string
	start, end         time.Time
	toUpdate           int
	percent            int
}

// refreshActive reports whether a refresh in this status is unfinished.
func refreshActive(status string) bool {
	switch status {
	case "Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking":
		return true
	}
	return false
}

// The emulator does not replace instances: a refresh stays InProgress
// until it is cancelled or completed through CompleteInstanceRefresh,
// which is enough to exercise callers that must not act during one.
func (s *Service) startInstanceRefresh(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	if g.activeRefresh() != nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "InstanceRefreshInProgress", message: "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."}
	}
	r := &refresh{id: uuidFrom(s.nextID()), status: refreshInProgress, start: now, toUpdate: g.activeInstances()}
	g.refreshes = append(g.refreshes, r)
	if n := len(g.refreshes) - maxRefreshes; n > 0 {
		g.refreshes = append([]*refresh(nil), g.refreshes[n:]...)
	}
	return xmlRefreshIDResult{InstanceRefreshId: r.id}, nil
}

func (s *Service) cancelInstanceRefresh(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	r := g.activeRefresh()
	if r == nil {
		return nil, &apiError{status: http.StatusBadRequest, code: "ActiveInstanceRefreshNotFound", message: "No in progress or pending Instance Refresh found for Auto Scaling group " + g.name}
	}
	r.status, r.reason, r.end = refreshCancelled, "Cancelled by user request.", now
	return xmlRefreshIDResult{InstanceRefreshId: r.id}, nil
}

func (s *Service) describeInstanceRefreshes(p params, now time.Time) (any, *apiError) {
	g, err := s.lookup(p)
	if err != nil {
		return nil, err
	}
	maxRecords, err := p.maxRecords(50)
	if err != nil {
		return nil, err
	}
	ids, _ := p.list("InstanceRefreshIds")
	offset := 0
	if tok, ok := p.str("NextToken"); ok {
		v, ok := decodeToken(tok, "ref:")
		n, convErr := strconv.Atoi(v)
		if !ok || convErr != nil || n < 0 {
			return nil, invalidToken(tok)
		}
		offset = n
	}
	// Most recent first, as AWS lists them.
	var all []xmlRefresh
	for i := len(g.refreshes) - 1; i >= 0; i-- {
		r := g.refreshes[i]
		if len(ids) > 0 && !slices.Contains(ids, r.id) {
			continue
		}
		x := xmlRefresh{
			AutoScalingGroupName: g.name,
			InstanceRefreshId:    r.id,
			InstancesToUpdate:    r.toUpdate,
			PercentageComplete:   r.percent,
			StartTime:            timestamp(r.start),
			Status:               r.status,
			StatusReason:         r.reason,
		}
		if !r.end.IsZero() {
			x.EndTime = timestamp(r.end)
		}
		all = append(all, x)
	}
	res := xmlRefreshesResult{InstanceRefreshes: []xmlRefresh{}}
	offset = min(offset, len(all))
	end := min(offset+s.page(maxRecords), len(all))
	res.InstanceRefreshes = append(res.InstanceRefreshes, all[offset:end]...)
	if end < len(all) {
		res.NextToken = encodeToken("ref:", strconv.Itoa(end))
	}
	return res, nil
}
