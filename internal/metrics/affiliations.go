package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sextant-dev/sextant/internal/store"
)

// SyncAffiliations makes the affiliations table hold exactly the given
// rules (from the affiliations file), in order. It writes only when they
// differ, because a change makes the next refresh recompute every
// contribution's company.
func SyncAffiliations(ctx context.Context, db *store.DB, as []Affiliation) (changed bool, err error) {
	key := func(company, login, domain string, since, until int64) string {
		return fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", company, strings.ToLower(login), strings.ToLower(domain), since, until)
	}
	var have []string
	err = query(ctx, db.R, `SELECT company, login, email_domain, since, until FROM affiliations ORDER BY id`, nil, func(rows *sql.Rows) error {
		var (
			company       string
			login, domain sql.NullString
			since, until  sql.NullInt64
		)
		if err := rows.Scan(&company, &login, &domain, &since, &until); err != nil {
			return err
		}
		have = append(have, key(company, login.String, domain.String, since.Int64, until.Int64))
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("read affiliations: %w", err)
	}
	want := make([]string, len(as))
	for i, a := range as {
		want[i] = key(a.Company, a.Login, a.EmailDomain, store.Millis(a.Since).Int64, store.Millis(a.Until).Int64)
	}
	if strings.Join(have, "\n") == strings.Join(want, "\n") {
		return false, nil
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM affiliations`); err != nil {
			return err
		}
		for _, a := range as {
			_, err := tx.ExecContext(ctx, `INSERT INTO affiliations (company, login, email_domain, since, until) VALUES ($1, $2, $3, $4, $5)`,
				a.Company, orNilString(strings.ToLower(a.Login)), orNilString(strings.ToLower(a.EmailDomain)),
				store.Millis(a.Since), store.Millis(a.Until))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store affiliations: %w", err)
	}
	return true, nil
}
