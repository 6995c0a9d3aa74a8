package asg

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"

	"github.com/headroom-dev/headroom/internal/schedule"
)

// scheduledActionsPerPage is the largest MaxRecords DescribeScheduledActions
// accepts ("The default value is 50 and the maximum value is 100",
// API_DescribeScheduledActions).
const scheduledActionsPerPage = 100

// ScheduledActions returns Headroom's scheduled actions on the group (names
// starting with schedule.ActionPrefix), following NextToken. Each carries
// its StartTime and MinSize; an action without a MinSize, which Headroom
// never writes, reports MinSize -1 so that it differs from any wanted
// action and gives no base.
func (a *Actuator) ScheduledActions(ctx context.Context, asgName string) ([]schedule.Action, error) {
	p := autoscaling.NewDescribeScheduledActionsPaginator(a.client, &autoscaling.DescribeScheduledActionsInput{
		AutoScalingGroupName: aws.String(asgName),
		MaxRecords:           aws.Int32(scheduledActionsPerPage),
	})
	var out []schedule.Action
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe scheduled actions of group %q: %w", asgName, err)
		}
		for _, sa := range page.ScheduledUpdateGroupActions {
			name := aws.ToString(sa.ScheduledActionName)
			if !strings.HasPrefix(name, schedule.ActionPrefix) {
				continue
			}
			act := schedule.Action{Name: name, At: aws.ToTime(sa.StartTime).UTC(), MinSize: -1}
			if sa.StartTime == nil {
				act.At = aws.ToTime(sa.Time).UTC()
			}
			if sa.MinSize != nil {
				act.MinSize = int(*sa.MinSize)
			}
			out = append(out, act)
		}
	}
	return out, nil
}

// Reconcile makes the group's Headroom actions equal want. It calls
// PutScheduledUpdateGroupAction for each wanted action that is missing or
// differs (StartTime, MinSize; no Recurrence, MaxSize or DesiredCapacity,
// so the action moves only the floor and never caps the group), in the
// order of want, and then DeleteScheduledAction for each existing Headroom
// action not in want. Putting first means an end action that remembers
// the group's base is in place before anything that relies on it. It
// never touches an action whose name lacks schedule.ActionPrefix, and
// refuses to put one.
//
// Deleting an action that is already gone is not an error: a one-time
// action is removed once it has run, and AWS answers a missing name with
// ValidationError "Scheduled action name not found". One failed call does
// not stop the others; the errors are joined. It returns how many actions
// were put and how many deleted.
func (a *Actuator) Reconcile(ctx context.Context, asgName string, existing, want []schedule.Action) (put, deleted int, err error) {
	return schedule.Reconcile(existing, want,
		func(w schedule.Action) error { return a.putAction(ctx, asgName, w) },
		func(name string) (bool, error) { return a.deleteAction(ctx, asgName, name) })
}

func (a *Actuator) putAction(ctx context.Context, asgName string, w schedule.Action) error {
	if !strings.HasPrefix(w.Name, schedule.ActionPrefix) {
		return fmt.Errorf("put scheduled action %q on group %q: name lacks the prefix %q", w.Name, asgName, schedule.ActionPrefix)
	}
	if w.MinSize < 0 || w.MinSize > math.MaxInt32 {
		return fmt.Errorf("put scheduled action %q on group %q: MinSize %d out of range", w.Name, asgName, w.MinSize)
	}
	if err := a.spend("put scheduled action "+w.Name, asgName); err != nil {
		return err
	}
	_, err := a.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String(asgName),
		ScheduledActionName:  aws.String(w.Name),
		StartTime:            aws.Time(w.At.UTC()),
		MinSize:              aws.Int32(int32(w.MinSize)),
	})
	if err != nil {
		return fmt.Errorf("put scheduled action %q on group %q: %w", w.Name, asgName, err)
	}
	return nil
}

// deleteAction deletes one action and reports whether it was already gone.
func (a *Actuator) deleteAction(ctx context.Context, asgName, name string) (gone bool, err error) {
	if err := a.spend("delete scheduled action "+name, asgName); err != nil {
		return false, err
	}
	_, err = a.client.DeleteScheduledAction(ctx, &autoscaling.DeleteScheduledActionInput{
		AutoScalingGroupName: aws.String(asgName),
		ScheduledActionName:  aws.String(name),
	})
	if err == nil {
		return false, nil
	}
	if actionNotFound(err) {
		return true, nil
	}
	return false, fmt.Errorf("delete scheduled action %q of group %q: %w", name, asgName, err)
}

// actionNotFound reports whether err is AWS's answer to deleting a
// scheduled action that does not exist.
func actionNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" &&
		strings.Contains(strings.ToLower(ae.ErrorMessage()), "scheduled action name not found")
}

// SetMinSize sets the group's MinSize with UpdateAutoScalingGroup. Raising
// MinSize above the desired capacity makes AWS raise the desired capacity
// with it (UpdateAutoScalingGroup: "If you specify a new value for MinSize
// without specifying a value for DesiredCapacity, and the new MinSize is
// larger than the current size of the group, this sets the group's
// DesiredCapacity to the new MinSize value").
func (a *Actuator) SetMinSize(ctx context.Context, asgName string, min int) error {
	if min < 0 || min > math.MaxInt32 {
		return fmt.Errorf("set MinSize of group %q to %d: out of range", asgName, min)
	}
	if err := a.spend(fmt.Sprintf("set MinSize to %d", min), asgName); err != nil {
		return err
	}
	_, err := a.client.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(asgName),
		MinSize:              aws.Int32(int32(min)),
	})
	if err != nil {
		return fmt.Errorf("set MinSize of group %q to %d: %w", asgName, min, err)
	}
	return nil
}

// Mirrors reports that every Auto Scaling group has a place for
// scheduled actions (target.Mirrorer).
func (a *Actuator) Mirrors(string) bool { return true }
