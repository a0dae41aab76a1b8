package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// HTTPCacheEntry is what GitHub said about one request URL the last time
// its answer was stored: the validators a conditional request sends back
// (If-None-Match, If-Modified-Since) so an unchanged answer is a free 304.
type HTTPCacheEntry struct {
	URL          string
	ETag         string
	LastModified string
	UpdatedAt    time.Time
}

// LookupHTTPCache returns the validators stored for url, or empty strings
// when there are none. It implements github.ValidatorStore.
func (db *DB) LookupHTTPCache(ctx context.Context, url string) (etag, lastModified string, err error) {
	var e, lm sql.NullString
	err = db.R.QueryRowContext(ctx, `SELECT etag, last_modified FROM http_cache WHERE url = $1`, url).Scan(&e, &lm)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("look up http cache entry: %w", err)
	}
	return e.String, lm.String, nil
}

// SaveHTTPCache stores the validators of an answer. Call it in the
// transaction that stores what the answer said: a validator kept without
// its data would turn the next fetch into a 304 for data never stored.
// An entry with neither validator removes the URL's entry.
func SaveHTTPCache(ctx context.Context, q Querier, e HTTPCacheEntry) error {
	if e.URL == "" {
		return errors.New("save http cache entry: url is required")
	}
	if e.ETag == "" && e.LastModified == "" {
		return DeleteHTTPCache(ctx, q, e.URL)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = time.Now()
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO http_cache (url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			updated_at = excluded.updated_at`,
		e.URL, nullString(e.ETag), nullString(e.LastModified), e.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("save http cache entry: %w", err)
	}
	return nil
}

// DeleteHTTPCache forgets the validators of url, so its next fetch is a
// full one.
func DeleteHTTPCache(ctx context.Context, q Querier, url string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM http_cache WHERE url = $1`, url); err != nil {
		return fmt.Errorf("delete http cache entry: %w", err)
	}
	return nil
}
