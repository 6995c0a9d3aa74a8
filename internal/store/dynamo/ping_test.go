package dynamo_test

import (
	"context"
	"testing"

	"github.com/headroom-dev/headroom/internal/store/dynamo"
	"github.com/headroom-dev/headroom/internal/testenv"
)

func TestPing(t *testing.T) {
	client := newClient(t, testenv.Dynalite(t))
	s := freshStore(t, client)
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping on a fresh table: %v", err)
	}
	if err := dynamo.New(client, "no-such-table").Ping(context.Background()); err == nil {
		t.Error("Ping on a missing table succeeded")
	}
}
