package api

import (
	"bytes"
	"context"
	"net/http"
)

// CampaignIntake creates campaigns whose bodies arrive other than over
// HTTP (the campaigns queue): the same body, checks, sizing, idempotency
// and audit trail as POST /v1/campaigns, on behalf of a named actor with
// the operator role.
type CampaignIntake struct {
	s *server
}

// NewCampaignIntake returns an intake over o's store, fleet, clock and
// campaign costs; o's tokens, dashboard and registry play no part.
func NewCampaignIntake(o Options) (*CampaignIntake, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	return &CampaignIntake{s: s}, nil
}

// Create announces the campaign in body as actor, under key as its
// Idempotency-Key (a queue message's id: a message received twice
// creates one campaign). It returns the status and body POST
// /v1/campaigns would answer: 201 and the campaign, or a problem.
func (c *CampaignIntake) Create(ctx context.Context, actor, key string, body []byte) (int, []byte) {
	ctx = context.WithValue(ctx, keyPrincipal, &principal{Name: actor, Role: RoleOperator})
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/v1/campaigns", bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, []byte(err.Error())
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", key)
	w := &bufferWriter{header: http.Header{}}
	c.s.createCampaign(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status, w.body.Bytes()
}

// bufferWriter keeps a response in memory.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }

func (w *bufferWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

var _ http.ResponseWriter = (*bufferWriter)(nil)
