package memory

import (
	"testing"

	"github.com/headroom-dev/headroom/internal/store"
	"github.com/headroom-dev/headroom/internal/store/storetest"
)

func TestHistoryConformance(t *testing.T) {
	storetest.RunHistory(t, func(*testing.T) store.History { return NewHistory() })
}
