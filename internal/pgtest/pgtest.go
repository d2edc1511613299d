// Package pgtest gives tests their own PostgreSQL schema on the server
// named by HOOKRUNNER_TEST_POSTGRES, and skips them without it.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var seq atomic.Int64

// DSN creates a fresh schema (dropped when the test ends) and returns a
// DSN whose search_path is that schema.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("HOOKRUNNER_TEST_POSTGRES")
	if base == "" {
		t.Skip("HOOKRUNNER_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("hrtest_%d_%d", time.Now().UnixNano(), seq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
