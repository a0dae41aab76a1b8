package metrics

import (
	"testing"

	"github.com/sextant-dev/sextant/internal/store"
	"github.com/sextant-dev/sextant/internal/store/storetest"
)

// eachEngine runs a test on SQLite and PostgreSQL: every metric must give
// the same values on both.
func eachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	storetest.Each(t, fn)
}

func storetestOpenSQLite(t *testing.T) *store.DB { return storetest.Open(t, store.SQLite) }
