package sqlstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestConflictIsNoFault: a transaction that lost a deadlock or a
// serialization check is run again and does not mark the store
// unwritable (which would answer webhooks 503); other database errors do.
func TestConflictIsNoFault(t *testing.T) {
	for _, tc := range []struct {
		err      error
		conflict bool
	}{
		{fmt.Errorf("finish run r: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}), true},
		{fmt.Errorf("extend lease: %w", &pgconn.PgError{Code: "40001"}), true},
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100", Message: "disk full"}), false},
		{errors.New("database is locked"), false},
	} {
		if got := isConflict(tc.err); got != tc.conflict {
			t.Errorf("isConflict(%v) = %v", tc.err, got)
		}
		if got := isFault(tc.err); got == tc.conflict {
			t.Errorf("isFault(%v) = %v", tc.err, got)
		}
	}
}
