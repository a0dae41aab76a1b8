package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

// Deploy styles: which systems report a repository's deployments.
const (
	StyleGitHub   = "github"    // GitHub deployments and statuses, from an Actions workflow (workflow_run too)
	StyleWorkflow = "workflow"  // an Actions "Deploy production" workflow without GitHub deployments
	StyleCI       = "ci"        // an outside pipeline reporting CI deploy events
	StyleGitHubCI = "github+ci" // GitHub deployments and the pipeline's CI events for the same deploys
)

type company struct {
	name, domain string
	host         bool // the company that owns the organization
	regions      []string
}

func companies() []*company {
	return []*company{
		{name: "Acme Corp", domain: "acme.example", host: true, regions: []string{"us-east", "us-west", "uk", "europe"}},
		{name: "Northwind Labs", domain: "northwind.example", regions: []string{"europe"}},
		{name: "Globex", domain: "globex.example", regions: []string{"india"}},
		{name: "Initech", domain: "initech.example", regions: []string{"brazil"}},
		{name: "Umbrella Consulting", domain: "umbrella.example", regions: []string{"japan", "uk"}},
	}
}

// affil is a stretch of time a person worked for a company.
type affil struct {
	company     *company
	from, until int64 // until 0: still
}

type person struct {
	login, name  string
	first, last  string
	id           int64
	bot          bool
	independent  bool // contributes from a fork, not an organization member
	region       region
	cal          *calendar
	user         *github.User
	affils       []affil
	joined, left int64 // organization membership; left 0: still a member
	role         string
	weight       float64 // relative activity
}

func (p *person) active(t int64) bool {
	return t >= p.joined && (p.left == 0 || t < p.left)
}

func (p *person) companyAt(t int64) *company {
	for _, a := range p.affils {
		if t >= a.from && (a.until == 0 || t < a.until) {
			return a.company
		}
	}
	if len(p.affils) > 0 {
		return p.affils[len(p.affils)-1].company
	}
	return nil
}

// email is the commit email of the day: the company address, which changes
// when the person changes company, or GitHub's noreply address.
func (p *person) email(t int64) string {
	if c := p.companyAt(t); c != nil {
		return p.first + "." + p.last + "@" + c.domain
	}
	return fmt.Sprintf("%d+%s@users.noreply.github.com", p.id, p.login)
}

func (p *person) association() string {
	switch {
	case p.bot:
		return "NONE"
	case p.independent:
		return "CONTRIBUTOR"
	}
	return "MEMBER"
}

type membership struct {
	p            *person
	since, until int64 // until 0: still
	role         string
}

type team struct {
	idx         int
	slug, name  string
	id          int64
	prof        *profile
	spans       []*membership
	repos       []*repo
	cal         *calendar
	gh          *github.Team
	partner     *company
	stats       teamStats
	lead        *person
	home        string  // region most of the team works in
	pullsPerSec float64 // feature pull requests per working second of cal, whole team
}

// members lists the people on the team at t.
func (t *team) members(at int64) []*person {
	var out []*person
	for _, m := range t.spans {
		if at >= m.since && (m.until == 0 || at < m.until) && m.p.active(at) {
			out = append(out, m.p)
		}
	}
	return out
}

type world struct {
	opts       Options
	start, end int64
	ids        ids
	companies  []*company
	people     []*person
	teams      []*team
	repos      []*repo
	orgID      int64
	installID  int64
	org        *github.Organization
	orgUser    *github.User
	install    *github.Installation
	admin      *person
	dependabot *person
	renovate   *person
	actions    *person
	webFlow    *person // GitHub's committer for web merges
	indeps     []*person
	forks      map[string]*github.Repository
}

// Name tables are functions so nothing at package level can be changed.

func firstNames() []string {
	return []string{
		"alice", "bruno", "chen", "dana", "elif", "farah", "gustavo", "hana", "ivan", "jana",
		"kofi", "lena", "mateo", "nadia", "oscar", "priya", "quinn", "rosa", "sven", "tariq",
		"uma", "viktor", "wen", "ximena", "yusuf", "zoe", "amara", "bilal", "camille", "diego",
		"emeka", "fatima", "gabriel", "hiro", "ines", "jonas", "kaori", "luca", "maya", "nico",
		"olga", "pablo", "rahul", "sara", "tomas", "ugo", "vera", "will", "yara", "zain",
		"anika", "ben", "carla", "dev", "eva", "felix", "greta", "hugo", "isla", "jamal",
	}
}

func lastNames() []string {
	return []string{
		"adams", "banerjee", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito", "jensen",
		"kim", "larsen", "moreau", "nakamura", "okafor", "petrov", "quintero", "rossi", "silva", "tanaka",
		"ueda", "varga", "weber", "xu", "yilmaz", "zhang", "alvarez", "bauer", "chowdhury", "diaz",
		"evans", "ferreira", "gupta", "hoffmann", "iyer", "jovanovic", "kowalski", "lopez", "mehta", "novak",
		"olsen", "patel", "ramos", "schmidt", "torres", "usman", "vogel", "wright", "yamada", "zimmer",
	}
}

func teamNames() []string {
	return []string{
		"Payments", "Checkout", "Platform", "Identity", "Search", "Mobile", "Data", "Growth",
		"Infrastructure", "Billing", "Notifications", "Catalog", "Fulfillment", "Analytics", "Security", "Developer Experience",
		"Messaging", "Onboarding", "Pricing", "Recommendations", "Storage", "Observability", "Partner API", "Reporting",
		"Inventory", "Shipping", "Support Tools", "Marketplace", "Accounts", "Media", "Compliance", "Edge",
	}
}

func repoSuffixes() []string { return []string{"api", "web", "worker", "sdk", "jobs", "infra"} }

func slugify(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "-") }

// buildWorld lays out the organization: people, companies, teams and
// repositories, with the changes that happen during the window. It uses its
// own random stream so the roster does not depend on the activity.
func buildWorld(o Options) *world {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x726f73746572))
	w := &world{
		opts:      o,
		end:       o.End.Unix(),
		start:     o.End.AddDate(0, -o.Months, 0).Unix(),
		ids:       newIDs(o.Seed),
		companies: companies(),
		forks:     map[string]*github.Repository{},
	}
	w.orgID = w.ids.take(idOrg)
	w.installID = w.ids.take(idInstallation)
	window := w.end - w.start
	y0, y1 := time.Unix(w.start, 0).UTC().Year(), time.Unix(w.end, 0).UTC().Year()
	holidays := map[string][]int64{}
	for _, rg := range regions() {
		holidays[rg.name] = rg.holidayDays(y0, y1)
	}

	firsts, lasts, tnames, suffixes := firstNames(), lastNames(), teamNames(), repoSuffixes()
	used := map[string]bool{}
	newPerson := func(c *company, regionName string) *person {
		var first, last, login string
		for tries := 0; ; tries++ {
			first, last = pick(rng, firsts), pick(rng, lasts)
			switch rng.IntN(4) {
			case 0:
				login = first + "-" + last
			case 1:
				login = first[:1] + last
			case 2:
				login = first + last[:1]
			default:
				login = fmt.Sprintf("%s%s%d", first, last[:2], rng.IntN(90)+10)
			}
			if tries > 50 {
				login = fmt.Sprintf("%s-%s-%d", first, last, len(w.people))
			}
			if !used[login] {
				break
			}
		}
		used[login] = true
		rg := findRegion(regionName)
		off := map[int64]bool{}
		for _, d := range holidays[rg.name] {
			off[d] = true
		}
		// Two vacations a year, a week or two each.
		d0 := w.start / daySeconds
		days := window / daySeconds
		for range max(1, o.Months/6) * 2 {
			v := d0 + rng.Int64N(days)
			for i := range int64(5 + rng.IntN(9)) {
				off[v+i] = true
			}
		}
		startSec := int64(8*hour + rng.IntN(5)*30*minute)
		p := &person{
			login: login, first: first, last: last,
			name:   strings.ToUpper(first[:1]) + first[1:] + " " + strings.ToUpper(last[:1]) + last[1:],
			id:     w.ids.take(idUser),
			region: rg,
			cal:    newCalendar(rg, startSec, startSec+8*hour+30*minute, off),
			joined: w.start,
			role:   "member",
			weight: 0.6 + rng.Float64()*0.8,
		}
		if c != nil {
			p.affils = []affil{{company: c, from: w.start - 5*365*daySeconds}}
		}
		w.people = append(w.people, p)
		return p
	}

	spec := specFor(o.Scale)
	host := w.companies[0]
	partners := w.companies[1:]
	repoIdx := 0
	styles := []string{StyleGitHub, StyleCI, StyleWorkflow, StyleGitHubCI}
	for ti, level := range spec.levels {
		name := tnames[ti%len(tnames)]
		if ti >= len(tnames) {
			name = fmt.Sprintf("%s %d", name, ti/len(tnames)+1)
		}
		t := &team{idx: ti, name: name, slug: slugify(name), id: w.ids.take(idTeam), prof: profileFor(level)}
		t.partner = partners[ti%len(partners)]
		n := spec.members + rng.IntN(3) - 1
		// Most of a team sits in one region; elite teams work closest
		// together, which is part of why their reviews come fast.
		home := pick(rng, host.regions)
		t.home = home
		together := map[string]float64{LevelElite: 0.95, LevelHigh: 0.8}[level]
		for m := range n {
			c := host
			if m > 0 && level != LevelElite && chance(rng, 0.35) {
				c = t.partner
			}
			rg := pick(rng, c.regions)
			if c == host && chance(rng, max(together, 0.6)) {
				rg = home
			}
			p := newPerson(c, rg)
			role := "member"
			if m == 0 {
				role = "maintainer"
				t.lead = p
				p.weight *= 0.7 // leads review more than they write
			}
			t.spans = append(t.spans, &membership{p: p, since: w.start, role: role})
		}
		t.cal = newCalendar(t.lead.region, 9*hour, 17*hour+30*minute, t.lead.cal.off)
		for k := range spec.reposPerTeam[ti] {
			r := &repo{
				idx:   repoIdx,
				name:  t.slug + "-" + suffixes[k%len(suffixes)],
				team:  t,
				style: styles[repoIdx%len(styles)],
				id:    w.ids.take(idRepo),
				// The first repository of a team carries most of its work.
				weight: 1 / float64(k+1),
			}
			r.full = o.Org + "/" + r.name
			r.staging = r.style == StyleGitHub && (level == LevelElite || level == LevelHigh)
			r.dependabot = repoIdx%2 == 0
			r.rng = rand.New(rand.NewPCG(uint64(o.Seed), 0x7265706f0000+uint64(repoIdx)))
			switch level {
			case LevelElite:
				r.methods = [3]float64{0, 0.8, 0.2}
			case LevelHigh:
				r.methods = [3]float64{0.3, 0.5, 0.2}
			case LevelMedium:
				r.methods = [3]float64{0.6, 0.3, 0.1}
			default:
				r.methods = [3]float64{0.7, 0, 0.3}
			}
			t.repos = append(t.repos, r)
			w.repos = append(w.repos, r)
			repoIdx++
		}
		w.teams = append(w.teams, t)
	}
	w.admin = w.teams[0].lead
	w.admin.role = "admin"

	// Changes during the window, so affiliations and memberships have
	// history: someone changes company, someone changes team, people join
	// and someone leaves.
	nt := len(w.teams)
	at := func(f float64) int64 { return w.start + int64(f*float64(window))/60*60 }
	if mover := firstPartner(w.teams[1%nt]); mover != nil {
		old := mover.affils[0].company
		next := partners[0]
		for _, c := range partners {
			if c != old {
				next = c
				break
			}
		}
		t := at(0.45)
		mover.affils[0].until = t
		mover.affils = append(mover.affils, affil{company: next, from: t})
	}
	if m := nonLead(w.teams[0]); m != nil && nt > 1 {
		t := at(0.55)
		m.until = t
		w.teams[1].spans = append(w.teams[1].spans, &membership{p: m.p, since: t, role: "member"})
	}
	if m := nonLead(w.teams[nt-1]); m != nil {
		t := at(0.7)
		m.until = t
		m.p.left = t
	}
	for ti, t := range w.teams {
		if ti%2 != 0 && ti != nt-1 {
			continue
		}
		c := host
		if ti%4 == 2 {
			c = t.partner
		}
		rg := t.home
		if c != host {
			rg = pick(rng, c.regions)
		}
		p := newPerson(c, rg)
		p.joined = at(0.2 + 0.4*rng.Float64())
		t.spans = append(t.spans, &membership{p: p, since: p.joined, role: "member"})
	}

	for range spec.independents {
		rg := pick(rng, regions())
		p := newPerson(nil, rg.name)
		p.independent = true
		p.weight = 0.2 + rng.Float64()*0.8
		w.indeps = append(w.indeps, p)
	}
	bot := func(login string, id int64) *person {
		p := &person{login: login, name: login, id: id, bot: true, cal: alwaysOn(), joined: w.start}
		w.people = append(w.people, p)
		return p
	}
	// Bots are global GitHub accounts, so they keep their real ids.
	w.dependabot = bot("dependabot[bot]", 49699333)
	w.renovate = bot("renovate[bot]", 29139614)
	w.actions = bot("github-actions[bot]", 41898282)
	w.webFlow = &person{login: "web-flow", name: "GitHub", id: 19864447, cal: alwaysOn()}

	w.buildObjects()
	return w
}

func firstPartner(t *team) *person {
	for _, m := range t.spans {
		if len(m.p.affils) > 0 && !m.p.affils[0].company.host {
			return m.p
		}
	}
	return nil
}

func nonLead(t *team) *membership {
	for _, m := range t.spans {
		if m.p != t.lead && m.until == 0 && m.p.left == 0 && m.p.affils[0].company.host {
			return m
		}
	}
	return nil
}
