package api

import "sync"

// maxWriteAttempts bounds how often a read-modify-write without a client
// version is tried when the object changes between its read and its write
// (another replica, or the controller retiring an override). Within one
// replica, writes to one object are serialized and never conflict.
const maxWriteAttempts = 5

// objectLocks serializes writes to one object within this replica, so
// that concurrent PATCHes of a boost queue instead of failing each other's
// version check.
type objectLocks struct {
	mu sync.Mutex
	m  map[string]*objectLock
}

type objectLock struct {
	mu      sync.Mutex
	waiters int
}

// lock takes id's lock and returns its release.
func (l *objectLocks) lock(id string) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*objectLock{}
	}
	o := l.m[id]
	if o == nil {
		o = &objectLock{}
		l.m[id] = o
	}
	o.waiters++
	l.mu.Unlock()
	o.mu.Lock()
	return func() {
		o.mu.Unlock()
		l.mu.Lock()
		o.waiters--
		if o.waiters == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}

// retryConflicts runs attempt, again while it reports a version conflict
// that the client did not ask for (no version sent), at most
// maxWriteAttempts times in all, under id's lock. Still conflicting, the
// answer is 503 with Retry-After.
func (s *server) retryConflicts(id, what string, attempt func() (res result, conflicted bool)) result {
	defer s.objects.lock(id)()
	for range maxWriteAttempts {
		res, conflicted := attempt()
		if !conflicted {
			return res
		}
	}
	return problemResult(unavailable("%s kept changing during %d attempts to write it; retry later", what, maxWriteAttempts))
}
