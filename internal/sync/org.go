package sync

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-dev/sextant/internal/core"
	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/store"
)

// Sync state kinds of an organization.
const (
	kindRepos = "repos"
	kindTeams = "teams"
	// kindMembers + role: one listing per role, since GitHub tells a
	// member's role only by filtering on it.
	kindMembers = "members:"
)

// SyncOrg syncs an organization: with mode.Members (or when they were
// never synced) its members, teams and team members, and always its list
// of repositories, which it returns.
func (s *Syncer) SyncOrg(ctx context.Context, login string, mode Mode) ([]string, error) {
	s.Progress.scope(login)
	org, err := store.OrganizationByLogin(ctx, s.db.R, login)
	if err != nil && core.ErrorCode(err) != core.CodeNotFound {
		return nil, err
	}
	if err != nil || mode.Reconcile || mode.Full {
		o, _, err := s.gh.Organization(ctx, login)
		if err != nil {
			return nil, fmt.Errorf("sync %s: %w", login, err)
		}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := store.UpsertActor(ctx, tx, github.OrganizationActor(o)); err != nil {
				return err
			}
			return store.UpsertOrganization(ctx, tx, o)
		})
		if err != nil {
			return nil, err
		}
		org = o
	}
	members := mode.Members
	if !members {
		// Members and teams are synced daily; an organization never synced
		// gets them at once.
		_, known, err := store.GetSyncState(ctx, s.db.R, login, kindMembers+"member")
		if err != nil {
			return nil, err
		}
		members = !known
	}
	if members {
		if err := s.syncMembers(ctx, org, mode); err != nil {
			return nil, fmt.Errorf("sync members of %s: %w", login, err)
		}
		if err := s.syncTeams(ctx, org, mode); err != nil {
			return nil, fmt.Errorf("sync teams of %s: %w", login, err)
		}
	}
	repos, err := s.syncRepoList(ctx, org, mode)
	if err != nil {
		return nil, fmt.Errorf("sync repositories of %s: %w", login, err)
	}
	return repos, nil
}

func (s *Syncer) syncRepoList(ctx context.Context, org core.Organization, mode Mode) ([]string, error) {
	l, st, err := listWhole(ctx, s, org.Login, kindRepos, mode, func(ctx context.Context, cursor string) (github.Page[core.Repository], error) {
		return s.gh.OrgRepos(ctx, org.Login, cursor)
	})
	if err != nil {
		return nil, err
	}
	if !l.Changed {
		return store.RepositoriesOf(ctx, s.db.R, org.Login)
	}
	names := make([]string, 0, len(l.Items))
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range l.Items {
			if _, err := store.UpsertRepository(ctx, tx, r); err != nil {
				return err
			}
			names = append(names, r.FullName)
		}
		return saveWhole(ctx, s, tx, st, l)
	})
	return names, err
}

// membership is one listed member of a group, with its role.
type membership struct {
	actor core.Actor
	role  string
}

// listMembers reads every role's listing of a group. When any changed,
// every role is read, so the set is whole; unchanged reports that none
// did (nothing to do).
func listMembers(ctx context.Context, s *Syncer, scope string, roles []string, mode Mode,
	fetch func(ctx context.Context, role, cursor string) (github.Page[github.Member], error)) ([]membership, func(*sql.Tx) error, bool, error) {
	type roleList struct {
		role string
		l    listed[github.Member]
		st   *state[pagesCheckpoint]
	}
	lists := make([]roleList, len(roles))
	anyChanged := false
	for i, role := range roles {
		l, st, err := listWhole(ctx, s, scope, kindMembers+role, mode, func(ctx context.Context, cursor string) (github.Page[github.Member], error) {
			return fetch(ctx, role, cursor)
		})
		if err != nil {
			return nil, nil, false, err
		}
		lists[i] = roleList{role, l, st}
		anyChanged = anyChanged || l.Changed
	}
	if !anyChanged {
		return nil, nil, false, nil
	}
	fresh := mode
	fresh.Full = true
	for i := range lists {
		if lists[i].l.Changed {
			continue
		}
		l, st, err := listWhole(ctx, s, scope, kindMembers+lists[i].role, fresh, func(ctx context.Context, cursor string) (github.Page[github.Member], error) {
			return fetch(ctx, lists[i].role, cursor)
		})
		if err != nil {
			return nil, nil, false, err
		}
		lists[i].l, lists[i].st = l, st
	}
	var out []membership
	for _, rl := range lists {
		for _, m := range rl.l.Items {
			out = append(out, membership{m.Actor, rl.role})
		}
	}
	save := func(tx *sql.Tx) error {
		for _, rl := range lists {
			if err := saveWhole(ctx, s, tx, rl.st, rl.l); err != nil {
				return err
			}
		}
		return nil
	}
	return out, save, true, nil
}

// group is an organization or a team whose members the sync keeps.
type group struct {
	id       int64
	scope    string // of its listings' sync state
	roles    []string
	progress string
	list     func(ctx context.Context, role, cursor string) (github.Page[github.Member], error)
	current  func(ctx context.Context, q store.Querier, id int64) (map[int64]string, error)
	add      func(ctx context.Context, q store.Querier, id, actorID int64, role string, at time.Time) error
	remove   func(ctx context.Context, q store.Querier, id, actorID int64, at time.Time) error
}

// syncGroup makes the open memberships of a group what GitHub lists: a
// member not open yet (or with another role) is added now, an open member
// not listed is removed now. The spans come from these observations and
// the webhooks' (store.AddOrgMember).
func (s *Syncer) syncGroup(ctx context.Context, g group, mode Mode) error {
	listed, save, changed, err := listMembers(ctx, s, g.scope, g.roles, mode, g.list)
	if err != nil || !changed {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		current, err := g.current(ctx, tx, g.id)
		if err != nil {
			return err
		}
		at := s.now()
		seen := map[int64]bool{}
		n := 0
		for _, m := range listed {
			if err := upsertActors(ctx, tx, m.actor); err != nil {
				return err
			}
			if seen[m.actor.ID] {
				continue // listed under two roles while it changed: the first wins
			}
			seen[m.actor.ID] = true
			if role, ok := current[m.actor.ID]; ok && role == m.role {
				continue
			}
			if err := g.add(ctx, tx, g.id, m.actor.ID, m.role, at); err != nil {
				return err
			}
			n++
		}
		for id := range current {
			if !seen[id] {
				if err := g.remove(ctx, tx, g.id, id, at); err != nil {
					return err
				}
				n++
			}
		}
		s.Progress.add(g.progress, n)
		return save(tx)
	})
}

func (s *Syncer) syncMembers(ctx context.Context, org core.Organization, mode Mode) error {
	return s.syncGroup(ctx, group{id: org.ID, scope: org.Login, roles: []string{"admin", "member"}, progress: "members",
		list: func(ctx context.Context, role, cursor string) (github.Page[github.Member], error) {
			return s.gh.OrgMembers(ctx, org.Login, role, cursor)
		},
		current: store.CurrentOrgMembers, add: store.AddOrgMember, remove: store.RemoveOrgMember}, mode)
}

func (s *Syncer) syncTeams(ctx context.Context, org core.Organization, mode Mode) error {
	l, st, err := listWhole(ctx, s, org.Login, kindTeams, mode, func(ctx context.Context, cursor string) (github.Page[core.Team], error) {
		return s.gh.Teams(ctx, org.Login, cursor)
	})
	if err != nil {
		return err
	}
	if l.Changed {
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			stored, err := store.TeamsOf(ctx, tx, org.ID)
			if err != nil {
				return err
			}
			listedIDs := map[int64]bool{}
			for _, t := range l.Items {
				t.OrgID = org.ID
				listedIDs[t.ID] = true
				if err := store.UpsertTeam(ctx, tx, t); err != nil {
					return err
				}
			}
			for _, t := range stored {
				if !listedIDs[t.ID] {
					t.Deleted = true
					if err := store.UpsertTeam(ctx, tx, t); err != nil {
						return err
					}
				}
			}
			s.Progress.add("teams", len(l.Items))
			return saveWhole(ctx, s, tx, st, l)
		})
		if err != nil {
			return err
		}
	}
	teams, err := store.TeamsOf(ctx, s.db.R, org.ID)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if err := s.syncTeamMembers(ctx, org, t, mode); err != nil {
			return err
		}
	}
	return nil
}

func (s *Syncer) syncTeamMembers(ctx context.Context, org core.Organization, t core.Team, mode Mode) error {
	return s.syncGroup(ctx, group{id: t.ID, scope: "team:" + org.Login + "/" + t.Slug, roles: []string{"maintainer", "member"},
		progress: "team members",
		list: func(ctx context.Context, role, cursor string) (github.Page[github.Member], error) {
			return s.gh.TeamMembers(ctx, org.Login, t.Slug, role, cursor)
		},
		current: store.CurrentTeamMembers, add: store.AddTeamMember, remove: store.RemoveTeamMember}, mode)
}
