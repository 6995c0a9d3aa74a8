package ecs

import "time"

// running is what the backend remembers of one service's running tasks
// between Describes, to count the ones still warming.
//
// DescribeServices gives runningCount, not the tasks, and does not say
// when a task became RUNNING. Reading each task's startedAt would take
// ListTasks and DescribeTasks for every service every cycle. So the
// backend counts instead: when runningCount rises by n between two
// Describes, n tasks became RUNNING and are first seen at this Describe
// (a cohort), warming until warmup has passed since then, as the Auto
// Scaling backend times an instance from the Describe that first saw it
// InService. When runningCount falls, which tasks stopped is unknown; the
// backend takes them from the tasks already serving first, then from the
// oldest cohort, so that a task is never counted serving too early: an
// undercount of serving capacity errs toward scaling out, never in.
//
// The first Describe of a service counts its running tasks as serving at
// once: after a restart, warmup is not applied again to tasks that were
// running before it.
type running struct {
	known   bool
	last    int
	cohorts []cohort
}

type cohort struct {
	at time.Time
	n  int
}

// observe records runningCount r at now and returns how many of the r
// tasks are warming.
func (w *running) observe(r int, now time.Time, warmup time.Duration) int {
	r = max(r, 0)
	if !w.known {
		w.known, w.last = true, r
		return 0
	}
	switch {
	case r > w.last:
		w.cohorts = append(w.cohorts, cohort{at: now, n: r - w.last})
	case r < w.last:
		gone := w.last - r
		tracked := 0
		for _, c := range w.cohorts {
			tracked += c.n
		}
		gone -= min(gone, w.last-tracked) // the serving ones first
		for gone > 0 && len(w.cohorts) > 0 {
			k := min(gone, w.cohorts[0].n)
			w.cohorts[0].n -= k
			gone -= k
			if w.cohorts[0].n == 0 {
				w.cohorts = w.cohorts[1:]
			}
		}
	}
	w.last = r
	warming := 0
	kept := w.cohorts[:0]
	for _, c := range w.cohorts {
		if now.Before(c.at.Add(warmup)) {
			warming += c.n
			kept = append(kept, c)
		}
	}
	// A cohort past its warmup is serving for good: it is dropped, and
	// counted with the serving tasks from then on.
	w.cohorts = kept
	return min(warming, r)
}
