package config

import (
	"reflect"
	"testing"
	"time"
)

func TestLeaseTTL(t *testing.T) {
	if c := mustParse(t, minimalGroup); c.Lease.TTL.Std() != DefaultLeaseTTL {
		t.Errorf("default lease.ttl = %s, want %s", c.Lease.TTL, DefaultLeaseTTL)
	}
	if c := mustParse(t, "lease: {ttl: 4s}\n"+minimalGroup); c.Lease.TTL.Std() != 4*time.Second {
		t.Errorf("lease.ttl = %s, want 4s", c.Lease.TTL)
	}
	for _, doc := range []string{"lease: {ttl: 1s}\n", "lease: {ttl: 1h}\n"} {
		_, err := Parse([]byte(doc + minimalGroup))
		var got []string
		for _, p := range problemsOf(t, err) {
			got = append(got, p.Field)
		}
		if !reflect.DeepEqual(got, []string{"lease.ttl"}) {
			t.Errorf("%q: fields = %q, want lease.ttl", doc, got)
		}
	}
}
