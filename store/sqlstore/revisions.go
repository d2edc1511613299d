package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookrunner/hookrunner/store"
)

// SaveRevision implements store.Store.
func (s *Store) SaveRevision(ctx context.Context, rev *store.Revision) error {
	files, err := json.Marshal(rev.Files)
	if err != nil {
		return fmt.Errorf("encode revision: %w", err)
	}
	return s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q.saveRevision, rev.Hash, rev.Path, string(files), nanos(rev.CreatedAt))
		return err
	})
}

// GetRevision implements store.Store.
func (s *Store) GetRevision(ctx context.Context, hash string) (*store.Revision, error) {
	var files string
	var at int64
	rev := &store.Revision{Hash: hash}
	err := s.read.QueryRowContext(ctx, s.q.getRevision, hash).Scan(&rev.Path, &files, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get revision %s: %w", hash, err)
	}
	if err := json.Unmarshal([]byte(files), &rev.Files); err != nil {
		return nil, fmt.Errorf("decode revision %s: %w", hash, err)
	}
	rev.CreatedAt = fromNanos(at)
	return rev, nil
}

// ListRevisions implements store.Store.
func (s *Store) ListRevisions(ctx context.Context, n int) ([]*store.Revision, error) {
	rows, err := s.read.QueryContext(ctx, s.q.listRevisions(n))
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	defer rows.Close()
	var out []*store.Revision
	for rows.Next() {
		rev := &store.Revision{}
		var at int64
		if err := rows.Scan(&rev.Hash, &rev.Path, &at); err != nil {
			return nil, fmt.Errorf("list revisions: %w", err)
		}
		rev.CreatedAt = fromNanos(at)
		out = append(out, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	return out, nil
}
