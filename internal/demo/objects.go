package demo

import (
	"fmt"
	"time"

	"github.com/google/go-github/v89/github"
)

// The objects that many payloads carry (users, the organization, the
// installation, repositories, labels) are built once and shared by every
// delivery that mentions them: consumers must treat payloads as read-only.

const (
	apiURL  = "https://api.github.com"
	htmlURL = "https://github.com"
)

func ts(at int64) *github.Timestamp {
	return &github.Timestamp{Time: time.Unix(at, 0).UTC()}
}

// tsIn is a timestamp in a person's own offset, as git records author dates.
func tsIn(at int64, loc *time.Location) *github.Timestamp {
	return &github.Timestamp{Time: time.Unix(at, 0).In(loc)}
}

func str(s string) *string { return &s }

func userObject(login string, id int64, typ string) *github.User {
	nodeType := typ
	if typ == "Organization" {
		nodeType = "Organization"
	}
	return &github.User{
		Login:        str(login),
		ID:           github.Ptr(id),
		NodeID:       str(nodeID(nodeType, id)),
		AvatarURL:    str(fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id)),
		GravatarID:   str(""),
		URL:          str(apiURL + "/users/" + login),
		HTMLURL:      str(htmlURL + "/" + login),
		Type:         str(typ),
		SiteAdmin:    github.Ptr(false),
		UserViewType: str("public"),
	}
}

func (w *world) buildObjects() {
	o := w.opts.Org
	w.org = &github.Organization{
		Login:       str(o),
		ID:          github.Ptr(w.orgID),
		NodeID:      str(nodeID("Organization", w.orgID)),
		URL:         str(apiURL + "/orgs/" + o),
		AvatarURL:   str(fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", w.orgID)),
		Description: str("Generated demo organization"),
	}
	w.orgUser = userObject(o, w.orgID, "Organization")
	w.install = &github.Installation{
		ID:     github.Ptr(w.installID),
		NodeID: str(nodeID("Integration::Installation", w.installID)),
	}
	for _, p := range w.people {
		typ := "User"
		if p.bot {
			typ = "Bot"
		}
		p.user = userObject(p.login, p.id, typ)
	}
	w.webFlow.user = userObject(w.webFlow.login, w.webFlow.id, "User")
	for _, t := range w.teams {
		t.gh = &github.Team{
			ID:          github.Ptr(t.id),
			NodeID:      str(nodeID("Team", t.id)),
			Name:        str(t.name),
			Slug:        str(t.slug),
			Description: str(t.name + " team"),
			Privacy:     str("closed"),
			Permission:  str("pull"),
			URL:         str(fmt.Sprintf("%s/organizations/%d/team/%d", apiURL, w.orgID, t.id)),
			HTMLURL:     str(fmt.Sprintf("%s/orgs/%s/teams/%s", htmlURL, o, t.slug)),
			MembersURL:  str(fmt.Sprintf("%s/organizations/%d/team/%d/members{/member}", apiURL, w.orgID, t.id)),
		}
	}
	for _, r := range w.repos {
		r.createdAt = w.start
		r.gh = w.repoObject(r.id, r.name, w.orgUser, r.createdAt, false)
		r.labels = map[string]*github.Label{}
		for _, l := range labelSet() {
			id := w.ids.take(idLabel)
			r.labels[l[0]] = &github.Label{
				ID:          github.Ptr(id),
				NodeID:      str(nodeID("Label", id)),
				URL:         str(fmt.Sprintf("%s/repos/%s/labels/%s", apiURL, r.full, l[0])),
				Name:        str(l[0]),
				Color:       str(l[1]),
				Description: str(l[2]),
				Default:     github.Ptr(l[3] == "default"),
			}
		}
	}
}

func labelSet() [][4]string {
	return [][4]string{
		{"bug", "d73a4a", "Something isn't working", "default"},
		{"enhancement", "a2eeef", "New feature or request", "default"},
		{"question", "d876e3", "Further information is requested", "default"},
		{"documentation", "0075ca", "Improvements or additions to documentation", "default"},
		{"dependencies", "0366d6", "Pull requests that update a dependency file", ""},
		{"hotfix", "b60205", "Urgent fix for production", ""},
		{"incident", "e11d21", "Production incident", ""},
		{"sev1", "b60205", "Severity 1", ""},
		{"sev2", "d93f0b", "Severity 2", ""},
		{"complexity: high", "5319e7", "Large or risky change", ""},
		{"refactor", "c5def5", "Code change without behaviour change", ""},
	}
}

func (w *world) repoObject(id int64, name string, owner *github.User, created int64, fork bool) *github.Repository {
	full := owner.GetLogin() + "/" + name
	return &github.Repository{
		ID:            github.Ptr(id),
		NodeID:        str(nodeID("Repository", id)),
		Name:          str(name),
		FullName:      str(full),
		Owner:         owner,
		Private:       github.Ptr(!fork),
		Visibility:    str(visibility(fork)),
		HTMLURL:       str(htmlURL + "/" + full),
		Description:   str("The " + name + " service"),
		Fork:          github.Ptr(fork),
		URL:           str(apiURL + "/repos/" + full),
		CloneURL:      str(htmlURL + "/" + full + ".git"),
		GitURL:        str("git://github.com/" + full + ".git"),
		SSHURL:        str("git@github.com:" + full + ".git"),
		CreatedAt:     ts(created),
		UpdatedAt:     ts(created),
		PushedAt:      ts(created),
		DefaultBranch: str("main"),
		Language:      str("Go"),
		Archived:      github.Ptr(false),
		Disabled:      github.Ptr(false),
		HasIssues:     github.Ptr(true),
		Topics:        []string{},
	}
}

// repoAt is the repository as a payload of time t shows it: pushed_at moves
// with pushes, the rest is fixed.
func (r *repo) repoAt() *github.Repository {
	c := *r.gh
	if r.pushedAt > r.createdAt {
		c.PushedAt = ts(r.pushedAt)
	}
	return &c
}

func (r *repo) pushRepository() *github.PushEventRepository {
	g := r.repoAt()
	return &github.PushEventRepository{
		ID:            g.ID,
		NodeID:        g.NodeID,
		Name:          g.Name,
		FullName:      g.FullName,
		Owner:         g.Owner,
		Private:       g.Private,
		Description:   g.Description,
		Fork:          g.Fork,
		CreatedAt:     g.CreatedAt,
		PushedAt:      g.PushedAt,
		UpdatedAt:     g.UpdatedAt,
		HTMLURL:       g.HTMLURL,
		URL:           g.URL,
		GitURL:        g.GitURL,
		SSHURL:        g.SSHURL,
		CloneURL:      g.CloneURL,
		DefaultBranch: g.DefaultBranch,
		MasterBranch:  g.DefaultBranch,
		Organization:  str(*r.gh.Owner.Login),
		Language:      g.Language,
		Archived:      g.Archived,
		Disabled:      g.Disabled,
		HasIssues:     g.HasIssues,
		Topics:        g.Topics,
	}
}

// fork is an independent contributor's fork of r, created on first use.
func (w *world) fork(r *repo, p *person) *github.Repository {
	key := p.login + "/" + r.name
	if f, ok := w.forks[key]; ok {
		return f
	}
	f := w.repoObject(w.ids.take(idRepo), r.name, p.user, r.createdAt, true)
	w.forks[key] = f
	return f
}

// visibility: the organization's repositories are private, forks of
// outside contributors public.
func visibility(fork bool) string {
	if fork {
		return "public"
	}
	return "private"
}
