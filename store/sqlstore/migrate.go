package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// migrate applies the dialect's migrations not yet recorded in
// schema_migrations, in order.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, s.q.createMigrations); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	for i, m := range s.d.Migrations {
		if m == "" {
			// A number reserved for a migration of another branch:
			// not recorded, so it applies once it is filled in.
			continue
		}
		if err := s.migrateOne(ctx, i+1, m); err != nil {
			return fmt.Errorf("migrate %d: %w", i+1, err)
		}
	}
	return nil
}

// migrateOne applies migration v unless it is recorded. The migration and
// its version row commit together, so a process killed mid-migration
// leaves it unapplied and the next start redoes it.
func (s *Store) migrateOne(ctx context.Context, v int, m string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, s.q.migrationApplied, v).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range strings.Split(m, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q.recordMigration, v, s.now().UnixNano()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SchemaVersion returns the number of applied migrations.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, s.q.schemaVersion).Scan(&n)
	return n, err
}
