package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func TestOneShotScheduledAction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 1, 10, 1)
	f.clk.Advance(DefaultLaunchTime)
	at := t0.Add(10 * time.Minute)
	_, err := f.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"),
		ScheduledActionName:  aws.String("boost-start"),
		StartTime:            aws.Time(at),
		MinSize:              aws.Int32(4),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	out, err := f.client.DescribeScheduledActions(ctx, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(out.ScheduledUpdateGroupActions) != 1 {
		t.Fatalf("got %d actions, want 1", len(out.ScheduledUpdateGroupActions))
	}
	a := out.ScheduledUpdateGroupActions[0]
	if !aws.ToTime(a.StartTime).Equal(at) || aws.ToInt32(a.MinSize) != 4 || a.MaxSize != nil || a.DesiredCapacity != nil {
		t.Errorf("action = start %v min %v max %v desired %v", aws.ToTime(a.StartTime), aws.ToInt32(a.MinSize), a.MaxSize, a.DesiredCapacity)
	}

	f.clk.Advance(at.Sub(f.clk.Now()) - time.Second)
	if g := f.group(t, "web"); g.Min != 1 || g.Desired != 1 {
		t.Fatalf("a second early: min %d desired %d", g.Min, g.Desired)
	}
	// Jump well past the start: the action fires at its time, and the
	// instances it launches are InService a launch time later, not a launch
	// time after the clock was read.
	f.clk.Advance(time.Second + DefaultLaunchTime + 5*time.Second)
	g := f.group(t, "web")
	if g.Min != 4 || g.Desired != 4 {
		t.Errorf("after start: min %d desired %d, want 4 and 4", g.Min, g.Desired)
	}
	if g.Count(StateInService) != 4 {
		t.Errorf("after start + launch time: %d in service, want 4", g.Count(StateInService))
	}
	for _, in := range g.Instances[1:] {
		if !in.LaunchedAt.Equal(at) {
			t.Errorf("instance %s launched at %v, want %v", in.ID, in.LaunchedAt, at)
		}
	}
	out, err = f.client.DescribeScheduledActions(ctx, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: aws.String("web")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(out.ScheduledUpdateGroupActions) != 0 {
		t.Errorf("one-time action still listed after it ran")
	}
	var found bool
	for _, a := range f.svc.Activities("web") {
		if strings.Contains(a.Cause, "a scheduled action update of AutoScalingGroup constraints to min: 4, max: 10, desired: 4 changing the desired capacity from 1 to 4") {
			found = true
		}
	}
	if !found {
		t.Errorf("no activity quotes the scheduled action")
	}
}

func TestRecurringScheduledAction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 1, 10, 1)
	// 08:00 in New York on weekdays; t0 is Monday 2025-03-03 12:00 UTC,
	// 07:00 EST, so the first run is at 13:00 UTC the same day.
	_, err := f.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"),
		ScheduledActionName:  aws.String("morning"),
		Recurrence:           aws.String("0 8 * * MON-FRI"),
		TimeZone:             aws.String("America/New_York"),
		DesiredCapacity:      aws.Int32(6),
	})
	if err != nil {
		t.Fatalf("put morning: %v", err)
	}
	_, err = f.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"),
		ScheduledActionName:  aws.String("evening"),
		Recurrence:           aws.String("0 18 * * *"),
		TimeZone:             aws.String("America/New_York"),
		DesiredCapacity:      aws.Int32(2),
	})
	if err != nil {
		t.Fatalf("put evening: %v", err)
	}
	out, err := f.client.DescribeScheduledActions(ctx, &autoscaling.DescribeScheduledActionsInput{
		AutoScalingGroupName: aws.String("web"), ScheduledActionNames: []string{"morning"},
	})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	wantNext := time.Date(2025, 3, 3, 13, 0, 0, 0, time.UTC)
	if got := aws.ToTime(out.ScheduledUpdateGroupActions[0].StartTime); !got.Equal(wantNext) {
		t.Errorf("next run = %v, want %v", got, wantNext)
	}

	steps := []struct {
		at          time.Time
		wantDesired int
	}{
		{time.Date(2025, 3, 3, 12, 59, 0, 0, time.UTC), 1},
		{time.Date(2025, 3, 3, 13, 0, 0, 0, time.UTC), 6},
		{time.Date(2025, 3, 3, 23, 0, 0, 0, time.UTC), 2},
		{time.Date(2025, 3, 4, 13, 0, 0, 0, time.UTC), 6},
		// Saturday: only the evening action runs.
		{time.Date(2025, 3, 8, 13, 30, 0, 0, time.UTC), 2},
		// Monday after the US switch to daylight time (2025-03-09):
		// 08:00 EDT is 12:00 UTC.
		{time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC), 6},
	}
	for _, st := range steps {
		f.clk.Advance(st.at.Sub(f.clk.Now()))
		if g := f.group(t, "web"); g.Desired != st.wantDesired {
			t.Errorf("at %v desired = %d, want %d", st.at, g.Desired, st.wantDesired)
		}
	}
	if n := len(f.svc.Activities("web")); n == 0 {
		t.Errorf("no activities recorded")
	}
}

func TestScheduledActionsSuspended(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 1, 10, 1)
	_, err := f.client.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{
		AutoScalingGroupName: aws.String("web"), ScalingProcesses: []string{"ScheduledActions"},
	})
	if err != nil {
		t.Fatalf("suspend: %v", err)
	}
	_, err = f.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("once"),
		StartTime: aws.Time(t0.Add(time.Minute)), DesiredCapacity: aws.Int32(5),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	f.clk.Advance(2 * time.Minute)
	if g := f.group(t, "web"); g.Desired != 1 {
		t.Errorf("desired = %d while ScheduledActions is suspended, want 1", g.Desired)
	}
}

func TestPutScheduledActionErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       autoscaling.PutScheduledUpdateGroupActionInput
		wantCode string
		wantMsg  string
	}{
		{
			name:     "start in the past",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{StartTime: aws.Time(t0.Add(-time.Minute)), MinSize: aws.Int32(1)},
			wantCode: "ValidationError", wantMsg: "Given start time is in the past",
		},
		{
			name:     "no sizes",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{StartTime: aws.Time(t0.Add(time.Hour))},
			wantCode: "ValidationError",
		},
		{
			name:     "bad recurrence",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{Recurrence: aws.String("61 * * * *"), MinSize: aws.Int32(1)},
			wantCode: "ValidationError",
		},
		{
			name:     "bad time zone",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{Recurrence: aws.String("0 8 * * *"), TimeZone: aws.String("Mars/Olympus"), MinSize: aws.Int32(1)},
			wantCode: "ValidationError",
		},
		{
			name:     "end before start",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{Recurrence: aws.String("0 8 * * *"), StartTime: aws.Time(t0.Add(2 * time.Hour)), EndTime: aws.Time(t0.Add(time.Hour)), MinSize: aws.Int32(1)},
			wantCode: "ValidationError",
		},
		{
			name:     "min above max",
			in:       autoscaling.PutScheduledUpdateGroupActionInput{StartTime: aws.Time(t0.Add(time.Hour)), MinSize: aws.Int32(3), MaxSize: aws.Int32(2)},
			wantCode: "ValidationError", wantMsg: "Max bound, 2, must be greater than or equal to min bound, 3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.create(t, "web", 0, 10, 0)
			in := tc.in
			in.AutoScalingGroupName = aws.String("web")
			in.ScheduledActionName = aws.String("a")
			_, err := f.client.PutScheduledUpdateGroupAction(context.Background(), &in)
			if apiCode(err) != tc.wantCode {
				t.Fatalf("err = %v, want %s", err, tc.wantCode)
			}
			if tc.wantMsg != "" && apiMessage(err) != tc.wantMsg {
				t.Errorf("message = %q, want %q", apiMessage(err), tc.wantMsg)
			}
		})
	}

	t.Run("quota of scheduled actions", func(t *testing.T) {
		f := newFixture(t)
		f.create(t, "web", 0, 10, 0)
		put := func(i int) error {
			_, err := f.client.PutScheduledUpdateGroupAction(context.Background(), &autoscaling.PutScheduledUpdateGroupActionInput{
				AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String(fmt.Sprintf("a%d", i)),
				StartTime: aws.Time(t0.Add(time.Hour)), MinSize: aws.Int32(1),
			})
			return err
		}
		for i := range maxScheduledActions {
			if err := put(i); err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
		}
		var fault *types.LimitExceededFault
		if err := put(maxScheduledActions); !errors.As(err, &fault) {
			t.Errorf("put beyond the quota: err = %v, want *types.LimitExceededFault", err)
		}
		if err := put(0); err != nil {
			t.Errorf("replacing an existing action at the quota: %v", err)
		}
	})
}

func TestDeleteScheduledAction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.create(t, "web", 0, 10, 0)
	_, err := f.client.PutScheduledUpdateGroupAction(ctx, &autoscaling.PutScheduledUpdateGroupActionInput{
		AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("a"),
		StartTime: aws.Time(t0.Add(time.Hour)), DesiredCapacity: aws.Int32(3),
	})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if _, err := f.client.DeleteScheduledAction(ctx, &autoscaling.DeleteScheduledActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("a")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	f.clk.Advance(2 * time.Hour)
	if g := f.group(t, "web"); g.Desired != 0 {
		t.Errorf("deleted action ran: desired %d", g.Desired)
	}
	_, err = f.client.DeleteScheduledAction(ctx, &autoscaling.DeleteScheduledActionInput{AutoScalingGroupName: aws.String("web"), ScheduledActionName: aws.String("a")})
	if apiCode(err) != "ValidationError" || apiMessage(err) != "Scheduled action name not found" {
		t.Errorf("delete twice: err = %v, want ValidationError: Scheduled action name not found", err)
	}
}

func TestCronNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 1, 31, 23, 59, 30, 0, time.UTC) // a Friday
	tests := []struct {
		name string
		expr string
		from time.Time
		loc  *time.Location
		want time.Time
	}{
		{name: "every minute", expr: "* * * * *", from: base, loc: time.UTC, want: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
		{name: "strictly after a match", expr: "0 0 * * *", from: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), loc: time.UTC, want: time.Date(2025, 2, 2, 0, 0, 0, 0, time.UTC)},
		{name: "step", expr: "*/15 * * * *", from: time.Date(2025, 2, 1, 10, 16, 0, 0, time.UTC), loc: time.UTC, want: time.Date(2025, 2, 1, 10, 30, 0, 0, time.UTC)},
		{name: "list and range", expr: "5,10-12 9 * * *", from: time.Date(2025, 2, 1, 9, 6, 0, 0, time.UTC), loc: time.UTC, want: time.Date(2025, 2, 1, 9, 10, 0, 0, time.UTC)},
		{name: "month names", expr: "0 0 1 jun,dec *", from: base, loc: time.UTC, want: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
		{name: "weekday names", expr: "30 6 * * sat", from: base, loc: time.UTC, want: time.Date(2025, 2, 1, 6, 30, 0, 0, time.UTC)},
		{name: "sunday as 7", expr: "0 12 * * 7", from: base, loc: time.UTC, want: time.Date(2025, 2, 2, 12, 0, 0, 0, time.UTC)},
		{name: "day of month or of week", expr: "0 0 15 * mon", from: base, loc: time.UTC, want: time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC)},
		{name: "leap day", expr: "0 0 29 2 *", from: base, loc: time.UTC, want: time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{name: "never", expr: "0 0 30 2 *", from: base, loc: time.UTC},
		{name: "time zone", expr: "0 8 * * *", from: base, loc: ny, want: time.Date(2025, 2, 1, 13, 0, 0, 0, time.UTC)},
		{name: "across spring forward", expr: "30 2 * * *", from: time.Date(2025, 3, 9, 6, 0, 0, 0, time.UTC), loc: ny, want: time.Date(2025, 3, 10, 6, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseCron(tc.expr)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.expr, err)
			}
			got := c.next(tc.from, tc.loc)
			if !got.Equal(tc.want) {
				t.Errorf("next(%v) = %v, want %v", tc.from, got.UTC(), tc.want)
			}
		})
	}
}

func TestCronParseErrors(t *testing.T) {
	for _, expr := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *", "1- * * * *"} {
		t.Run(expr, func(t *testing.T) {
			if _, err := parseCron(expr); err == nil {
				t.Errorf("parseCron(%q) succeeded, want an error", expr)
			}
		})
	}
}
