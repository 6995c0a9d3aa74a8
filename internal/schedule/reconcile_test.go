package schedule

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestReconcile(t *testing.T) {
	at := time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)
	a := func(name string, min int) Action { return Action{Name: ActionPrefix + name, At: at, MinSize: min} }
	foreign := Action{Name: "nightly-shrink", At: at, MinSize: 1}
	tests := []struct {
		name           string
		existing, want []Action
		failPut, gone  map[string]bool
		failDel        map[string]bool
		puts, dels     []string
		nPut, nDel     int
		wantErr        bool
	}{
		{name: "nothing to do", existing: []Action{a("b1-start", 8)}, want: []Action{a("b1-start", 8)}},
		{name: "missing and differing are put in want's order", existing: []Action{a("b1-start", 6)},
			want: []Action{a("b2-start", 4), a("b1-start", 8), a("b2-start", 4)},
			puts: []string{ActionPrefix + "b2-start", ActionPrefix + "b1-start"}, nPut: 2},
		{name: "stale ones deleted after the puts, foreign ones never", existing: []Action{a("old-end", 2), foreign, a("old-end", 2)},
			want: []Action{a("b1-start", 8)},
			puts: []string{ActionPrefix + "b1-start"}, dels: []string{ActionPrefix + "old-end"}, nPut: 1, nDel: 1},
		{name: "an action already gone is not counted", existing: []Action{a("ran", 3)}, gone: map[string]bool{ActionPrefix + "ran": true},
			dels: []string{ActionPrefix + "ran"}},
		{name: "a failure does not stop the others", existing: []Action{a("x", 1), a("y", 1)},
			want:    []Action{a("b1-start", 8), a("b2-start", 9)},
			failPut: map[string]bool{ActionPrefix + "b1-start": true}, failDel: map[string]bool{ActionPrefix + "x": true},
			puts: []string{ActionPrefix + "b1-start", ActionPrefix + "b2-start"}, dels: []string{ActionPrefix + "x", ActionPrefix + "y"},
			nPut: 1, nDel: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var puts, dels []string
			nPut, nDel, err := Reconcile(tc.existing, tc.want,
				func(w Action) error {
					puts = append(puts, w.Name)
					if tc.failPut[w.Name] {
						return errors.New("throttled")
					}
					return nil
				},
				func(name string) (bool, error) {
					dels = append(dels, name)
					if tc.failDel[name] {
						return false, errors.New("throttled")
					}
					return tc.gone[name], nil
				})
			if !reflect.DeepEqual(puts, tc.puts) || !reflect.DeepEqual(dels, tc.dels) || nPut != tc.nPut || nDel != tc.nDel || (err != nil) != tc.wantErr {
				t.Fatalf("puts %v dels %v (%d, %d) err %v; want puts %v dels %v (%d, %d) err %v",
					puts, dels, nPut, nDel, err, tc.puts, tc.dels, tc.nPut, tc.nDel, tc.wantErr)
			}
		})
	}
}
