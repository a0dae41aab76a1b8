package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
)

// UpsertOrganization stores an organization keyed by its GitHub id; an
// older copy never replaces a newer one.
func UpsertOrganization(ctx context.Context, q Querier, o core.Organization) error {
	if o.ID == 0 || o.Login == "" {
		return fmt.Errorf("upsert organization %q: id and login are required", o.Login)
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO organizations (id, login, name, updated_at, version) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET login = excluded.login, name = COALESCE(excluded.name, organizations.name),
			updated_at = excluded.updated_at, version = excluded.version
		WHERE `+newer("organizations"),
		o.ID, o.Login, nullString(o.Name), Millis(o.UpdatedAt), OrganizationVersion(o))
	if err != nil {
		return fmt.Errorf("upsert organization %s: %w", o.Login, err)
	}
	return nil
}

// OrganizationVersion is the version UpsertOrganization gives o.
func OrganizationVersion(o core.Organization) int64 {
	return versionOf(0, o.ID, o.Login, o.Name, o.UpdatedAt)
}

// Membership scopes of membership_events.
const (
	scopeOrg  = "org"
	scopeTeam = "team"
)

// Membership actions.
const (
	MemberAdded   = "added"
	MemberRemoved = "removed"
)

// AddOrgMember records that actorID was a member of orgID from at (a
// member_added webhook, or a sync that found the member), and recomputes
// the actor's membership spans.
func AddOrgMember(ctx context.Context, q Querier, orgID, actorID int64, role string, at time.Time) error {
	return membershipChange(ctx, q, scopeOrg, orgID, actorID, MemberAdded, role, at)
}

// RemoveOrgMember records that actorID left orgID at at.
func RemoveOrgMember(ctx context.Context, q Querier, orgID, actorID int64, at time.Time) error {
	return membershipChange(ctx, q, scopeOrg, orgID, actorID, MemberRemoved, "", at)
}

// AddTeamMember records that actorID was a member of teamID from at.
func AddTeamMember(ctx context.Context, q Querier, teamID, actorID int64, role string, at time.Time) error {
	return membershipChange(ctx, q, scopeTeam, teamID, actorID, MemberAdded, role, at)
}

// RemoveTeamMember records that actorID left teamID at at.
func RemoveTeamMember(ctx context.Context, q Querier, teamID, actorID int64, at time.Time) error {
	return membershipChange(ctx, q, scopeTeam, teamID, actorID, MemberRemoved, "", at)
}

// membershipChange keeps the change and rebuilds the spans of (group,
// actor) from every change known, in time order: an addition opens a span
// unless one is open (then it only updates the role), a removal closes the
// open span. A removal with no earlier addition opens nothing: it is kept,
// so an addition that arrives later still pairs with it. At the same
// instant an addition sorts before a removal.
func membershipChange(ctx context.Context, q Querier, scope string, groupID, actorID int64, action, role string, at time.Time) error {
	if groupID == 0 || actorID == 0 || at.IsZero() {
		return fmt.Errorf("record %s membership %s: group, actor and time are required", scope, action)
	}
	res, err := q.ExecContext(ctx, `
		INSERT INTO membership_events (scope, group_id, actor_id, action, role, at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (scope, group_id, actor_id, at, action) DO NOTHING`,
		scope, groupID, actorID, action, nullString(role), at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record %s %d member %d %s: %w", scope, groupID, actorID, action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // seen before: the spans already include it
	}
	rows, err := q.QueryContext(ctx, `
		SELECT action, role, at FROM membership_events
		WHERE scope = $1 AND group_id = $2 AND actor_id = $3
		ORDER BY at, CASE action WHEN 'added' THEN 0 ELSE 1 END`, scope, groupID, actorID)
	if err != nil {
		return fmt.Errorf("read %s %d member %d changes: %w", scope, groupID, actorID, err)
	}
	type span struct {
		since, until int64
		role         string
	}
	var (
		spans []span
		open  = -1
	)
	for rows.Next() {
		var (
			act string
			rl  sql.NullString
			ms  int64
		)
		if err := rows.Scan(&act, &rl, &ms); err != nil {
			rows.Close()
			return fmt.Errorf("read %s %d member %d changes: %w", scope, groupID, actorID, err)
		}
		switch {
		case act == MemberAdded && open < 0:
			spans = append(spans, span{since: ms, role: rl.String})
			open = len(spans) - 1
		case act == MemberAdded:
			if rl.Valid {
				spans[open].role = rl.String
			}
		case act == MemberRemoved && open >= 0:
			spans[open].until = ms
			open = -1
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s %d member %d changes: %w", scope, groupID, actorID, err)
	}
	table, group := "org_members", "org_id"
	if scope == scopeTeam {
		table, group = "team_members", "team_id"
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+group+` = $1 AND actor_id = $2`, groupID, actorID); err != nil {
		return fmt.Errorf("rebuild %s of %d for %d: %w", table, groupID, actorID, err)
	}
	for _, s := range spans {
		_, err := q.ExecContext(ctx, `INSERT INTO `+table+` (`+group+`, actor_id, role, since, until) VALUES ($1, $2, $3, $4, $5)`,
			groupID, actorID, nullString(s.role), s.since, nullInt(s.until))
		if err != nil {
			return fmt.Errorf("rebuild %s of %d for %d: %w", table, groupID, actorID, err)
		}
	}
	return nil
}

// OrgMembers returns the membership spans of an organization, by actor
// then start.
func OrgMembers(ctx context.Context, q Querier, orgID int64) ([]core.OrgMember, error) {
	spans, err := memberSpans(ctx, q, "org_members", "org_id", orgID)
	out := make([]core.OrgMember, len(spans))
	for i, s := range spans {
		out[i] = core.OrgMember{OrgID: orgID, ActorID: s.actor, Role: s.role, Since: s.since, Until: s.until}
	}
	return out, err
}

type memberSpan struct {
	actor        int64
	role         string
	since, until time.Time
}

// memberSpans reads the spans of one group from org_members or
// team_members.
func memberSpans(ctx context.Context, q Querier, table, group string, id int64) ([]memberSpan, error) {
	rows, err := q.QueryContext(ctx, `SELECT actor_id, role, since, until FROM `+table+`
		WHERE `+group+` = $1 ORDER BY actor_id, since`, id)
	if err != nil {
		return nil, fmt.Errorf("list %s of %d: %w", table, id, err)
	}
	defer rows.Close()
	var out []memberSpan
	for rows.Next() {
		var (
			m     memberSpan
			role  sql.NullString
			since int64
			until sql.NullInt64
		)
		if err := rows.Scan(&m.actor, &role, &since, &until); err != nil {
			return nil, fmt.Errorf("list %s of %d: %w", table, id, err)
		}
		m.role, m.since, m.until = role.String, time.UnixMilli(since).UTC(), Time(until)
		out = append(out, m)
	}
	return out, rows.Err()
}
