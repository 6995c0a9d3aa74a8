package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/headroom-dev/headroom/internal/store"
)

// auditDoc is an audit entry as the API shows it; before and after are
// the object as the API showed it, null for a create's before and a
// cancel's after.
type auditDoc struct {
	ID     string          `json:"id"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Object string          `json:"object"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

func auditEntryFor(actor, action, object string, at time.Time) store.AuditEntry {
	return store.AuditEntry{At: at, Actor: actor, Action: action, Object: object}
}

func auditView(e store.AuditEntry) auditDoc {
	d := auditDoc{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Object: e.Object,
		Before: json.RawMessage("null"), After: json.RawMessage("null")}
	if len(e.Before) > 0 && json.Valid(e.Before) {
		d.Before = e.Before
	}
	if len(e.After) > 0 && json.Valid(e.After) {
		d.After = e.After
	}
	return d
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request) {
	var ps problems
	since := sinceParam(r, &ps)
	pg := parsePage(r, "audit", &ps)
	if p := ps.problem(); p != nil {
		writeProblem(w, r, p)
		return
	}
	// The store lists oldest first from a time; a page starts at its
	// cursor's instant, past the entries at it already shown.
	from, skip := since, 0
	if pg.after != nil {
		from, skip = pg.after.At, pg.after.Seen
	}
	es, err := s.store.ListAudit(r.Context(), from, pg.limit+1+skip)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, "audit trail", err))
		return
	}
	n := 0
	for n < skip && n < len(es) && es[n].At.Equal(from) {
		n++
	}
	es = es[n:]
	var next *cursor
	if len(es) > pg.limit {
		es = es[:pg.limit]
		next = timeCursor("audit", es, func(e store.AuditEntry) time.Time { return e.At }, pg.after)
	}
	out := make([]auditDoc, len(es))
	for i, e := range es {
		out[i] = auditView(e)
	}
	writePage(w, r, "entries", out, next)
}
