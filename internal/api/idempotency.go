package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/headroom-dev/headroom/internal/store"
)

// maxIdempotencyKeyLen bounds an Idempotency-Key; the contract allows 1 to
// 200 printable characters.
const maxIdempotencyKeyLen = 200

// replayedHeader marks a response replayed from an earlier request with
// the same Idempotency-Key.
const replayedHeader = "Idempotent-Replayed"

// result is a write's response before it is sent, so that it can be
// stored for replay.
type result struct {
	status   int
	body     []byte
	location string
	problem  bool
	// replayed: the response describes what an earlier request with the
	// same key did.
	replayed bool
}

func problemResult(p *problem) result {
	return result{status: p.status, body: p.marshal("", ""), problem: true}
}

func jsonResult(status int, v any) result {
	b, err := json.Marshal(v)
	if err != nil {
		return problemResult(newProblem(kindInternal, http.StatusInternalServerError, "cannot encode the response"))
	}
	return result{status: status, body: b}
}

// idemKey is a write's Idempotency-Key as the store keeps it: scoped to the
// token, so that two tokens never see each other's responses.
type idemKey struct {
	// scope is hex SHA-256 of the token name and the key.
	scope string
}

// newID returns a new object id with prefix: random, or derived from the
// key so that concurrent retries of one create collide on the same id and
// the store lets only one of them create it.
func (k *idemKey) newID(prefix string) string {
	if k == nil {
		return prefix + randomHex(8)
	}
	return prefix + k.scope[:16]
}

// idemClaim is stored first under a key: which request the key belongs to.
type idemClaim struct {
	Hash  string `json:"hash"`
	Nonce string `json:"nonce"`
}

// idemRecord is a stored response.
type idemRecord struct {
	Hash     string          `json:"hash"`
	Nonce    string          `json:"nonce"`
	Status   int             `json:"status"`
	Body     json.RawMessage `json:"body"`
	Location string          `json:"location,omitempty"`
	Problem  bool            `json:"problem,omitempty"`
}

// runWrite runs exec under the request's Idempotency-Key, if any.
//
// The key is first claimed for this request's hash (method, path and the
// body's canonical form): another request under the same key is a
// conflict and runs nothing. A response already stored under the key is
// the answer, replayed without running exec, so that a replay writes
// nothing even when the object has changed since (a cancelled boost stays
// cancelled). Otherwise exec runs; a create derives its id from the key,
// so of several concurrent retries only one creates anything. Its outcome
// is stored unless it is a validation failure or a server error (a retry
// may then succeed), and whatever response was stored first under the key
// is the answer.
func (s *server) runWrite(w http.ResponseWriter, r *http.Request, body []byte, exec func(k *idemKey) result) {
	key := r.Header.Get("Idempotency-Key")
	if _, present := r.Header["Idempotency-Key"]; !present {
		s.send(w, r, exec(nil))
		return
	}
	if !validIdempotencyKey(key) {
		writeProblem(w, r, invalid("Idempotency-Key", "must be 1 to %d printable ASCII characters", maxIdempotencyKeyLen))
		return
	}
	actor := principalFrom(r.Context()).Name
	scope := sha256.Sum256([]byte(actor + "\x00" + key))
	k := &idemKey{scope: hex.EncodeToString(scope[:])}
	reqSum := sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(canonicalJSON(body))))
	hash := hex.EncodeToString(reqSum[:])
	nonce := randomHex(8)
	now := s.clock.Now()
	reused := func() {
		writeProblem(w, r, conflict("Idempotency-Key %q was used with another request; use a new key", key))
	}

	claimBody, _ := json.Marshal(idemClaim{Hash: hash, Nonce: nonce})
	stored, err := s.store.SaveIdempotent(r.Context(), "api/claim/"+k.scope, claimBody, s.idemTTL, now)
	if err != nil {
		writeProblem(w, r, s.storeProblem(r, "idempotency key", err))
		return
	}
	var claim idemClaim
	if err := json.Unmarshal(stored, &claim); err != nil || claim.Hash != hash {
		reused()
		return
	}
	if claim.Nonce != nonce {
		stored, err := s.store.LoadIdempotent(r.Context(), "api/response/"+k.scope, now)
		switch {
		case err == nil:
			var rec idemRecord
			if err := json.Unmarshal(stored, &rec); err != nil || rec.Hash != hash {
				reused()
				return
			}
			s.send(w, r, rec.result())
			return
		case !errors.Is(err, store.ErrNotFound):
			writeProblem(w, r, s.storeProblem(r, "idempotency key", err))
			return
		}
		// The earlier request stored no response (it failed validation,
		// or is still running, or stopped before it could): run this one.
	}

	res := exec(k)
	if res.status >= 500 || (res.problem && res.status != http.StatusNotFound && res.status != http.StatusConflict) {
		s.send(w, r, res)
		return
	}
	recBody, err := json.Marshal(idemRecord{Hash: hash, Nonce: nonce, Status: res.status, Body: res.body,
		Location: res.location, Problem: res.problem})
	if err != nil {
		s.send(w, r, res)
		return
	}
	stored, err = s.store.SaveIdempotent(r.Context(), "api/response/"+k.scope, recBody, s.idemTTL, now)
	if err != nil {
		// The write itself happened; say so, and let a retry find out.
		s.log.ErrorContext(r.Context(), "cannot store idempotent response", "request_id", requestIDFrom(r.Context()), "err", err)
		s.send(w, r, res)
		return
	}
	var rec idemRecord
	if err := json.Unmarshal(stored, &rec); err != nil || rec.Hash != hash {
		reused()
		return
	}
	if rec.Nonce != nonce {
		res = rec.result()
	}
	s.send(w, r, res)
}

// result is the stored response as replayed.
func (rec idemRecord) result() result {
	return result{status: rec.Status, body: rec.Body, location: rec.Location, problem: rec.Problem, replayed: true}
}

// canonicalJSON returns body in a canonical form, so that the same JSON
// re-indented or with its keys reordered is the same request under one
// Idempotency-Key: object keys sorted, no insignificant whitespace,
// numbers as written. A body that is not one valid JSON value is kept as
// it is.
func canonicalJSON(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if _, err := dec.Token(); err != io.EOF {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// replayCreate answers a create whose key-derived id already exists: a
// concurrent or earlier retry with the same key and body created it, and
// its object is the answer. An object older than the idempotency window
// was created under the same key before it expired: the key is being
// reused, which is a conflict.
func (s *server) replayCreate(r *http.Request, id string, get func() (any, time.Time, error)) result {
	view, created, err := get()
	if err != nil {
		return problemResult(s.storeProblem(r, id, err))
	}
	if s.clock.Now().Sub(created) >= s.idemTTL {
		return problemResult(conflict("Idempotency-Key was used for %s more than %s ago; use a new key", id, formatDuration(s.idemTTL)))
	}
	res := jsonResult(http.StatusCreated, view)
	res.location = locationOf(id)
	res.replayed = true
	return res
}

func locationOf(id string) string {
	if len(id) > 2 && id[:2] == "o-" {
		return "/v1/overrides/" + id
	}
	return "/v1/boosts/" + id
}

func validIdempotencyKey(key string) bool {
	if key == "" || len(key) > maxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// send writes res; problems get the request's path and id.
func (s *server) send(w http.ResponseWriter, r *http.Request, res result) {
	if res.replayed {
		if s.replays != nil {
			s.replays.Inc()
		}
		w.Header().Set(replayedHeader, "true")
	}
	if res.location != "" {
		w.Header().Set("Location", res.location)
	}
	if res.problem {
		var doc problemDoc
		if err := json.Unmarshal(res.body, &doc); err == nil {
			doc.Instance, doc.RequestID = r.URL.Path, requestIDFrom(r.Context())
			if b, err := json.Marshal(doc); err == nil {
				res.body = b
			}
		}
		if res.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(res.status)
		_, _ = w.Write(res.body)
		return
	}
	writeRaw(w, res.status, res.body)
}

// audit records a successful write. The write has happened, so a failure
// here is logged rather than reported as the request's failure.
func (s *server) audit(r *http.Request, action, object string, before, after any) {
	e := auditEntryFor(principalFrom(r.Context()).Name, action, object, s.clock.Now().UTC())
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	if after != nil {
		e.After, _ = json.Marshal(after)
	}
	if err := s.store.AppendAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "cannot append audit entry", "action", action, "object", object,
			"request_id", requestIDFrom(r.Context()), "err", err)
	}
}
