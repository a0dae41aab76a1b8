package githubtest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/google/go-github/v89/github"
)

// Helpers for tests that change what the fake holds. Each takes the write
// lock; inside Mutate use the State's methods of the same names.

// AddUser returns a user object (not a member of anything).
func (st *State) AddUser(login string) *github.User {
	id := st.NewID()
	return &github.User{Login: github.Ptr(login), ID: github.Ptr(id), NodeID: github.Ptr(fmt.Sprintf("U_%d", id)), Type: github.Ptr("User")}
}

// AddMember adds a user to an organization.
func (st *State) AddMember(org, login, role string) *github.User {
	u := st.AddUser(login)
	st.Org(org).Members[login] = &Member{User: u, Role: role}
	return u
}

// PullSpec shapes generated pull requests.
type PullSpec struct {
	// Reviews per pull request are drawn from MinReviews..MaxReviews.
	MinReviews, MaxReviews int
	// Reviewers is how many distinct reviewers to draw from (default 10).
	Reviewers int
	Seed      uint64
}

// AddPulls adds n generated pull requests to repo, spread over the days
// before the fake's now, each with a first commit, labels and reviews.
// It returns their numbers.
func (st *State) AddPulls(repo *Repo, n int, now time.Time, spec PullSpec) []int {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x70756c6c))
	if spec.Reviewers == 0 {
		spec.Reviewers = 10
	}
	var people []*github.User
	for i := range spec.Reviewers {
		people = append(people, st.AddUser(fmt.Sprintf("dev%d-%d", i, st.nextID)))
	}
	labels := []*github.Label{{Name: github.Ptr("bug")}, {Name: github.Ptr("enhancement")}, {Name: github.Ptr("dependencies")}}
	full := repo.GH.GetFullName()
	number := 0
	for k := range repo.Pulls {
		number = max(number, k)
	}
	for k := range repo.Issues {
		number = max(number, k)
	}
	var out []int
	for i := range n {
		number++
		id := st.NewID()
		created := now.Add(-time.Duration(n-i) * 17 * time.Minute).Truncate(time.Second)
		author := people[rng.IntN(len(people))]
		sha := fmt.Sprintf("%040x", id)
		first := &github.RepositoryCommit{SHA: github.Ptr(sha), Commit: &github.Commit{
			SHA: github.Ptr(sha), Message: github.Ptr("change " + strconv.Itoa(number)),
			Author:    &github.CommitAuthor{Name: author.Login, Email: github.Ptr(author.GetLogin() + "@example.com"), Date: ts(created.Add(-3 * time.Hour))},
			Committer: &github.CommitAuthor{Name: author.Login, Date: ts(created.Add(-3 * time.Hour))},
		}}
		repo.Commits[sha] = first
		p := &github.PullRequest{
			ID: github.Ptr(id), NodeID: github.Ptr(fmt.Sprintf("PR_%d", id)), Number: github.Ptr(number),
			State: github.Ptr("closed"), Title: github.Ptr(fmt.Sprintf("Change %d", number)), User: author,
			CreatedAt: ts(created), UpdatedAt: ts(created.Add(10 * time.Minute)), ClosedAt: ts(created.Add(10 * time.Minute)),
			MergedAt: ts(created.Add(10 * time.Minute)), Merged: github.Ptr(true), MergedBy: author,
			MergeCommitSHA: github.Ptr(fmt.Sprintf("%040x", id+1)), Draft: github.Ptr(false),
			Additions: github.Ptr(rng.IntN(400)), Deletions: github.Ptr(rng.IntN(100)), ChangedFiles: github.Ptr(1 + rng.IntN(9)),
			Commits: github.Ptr(1), Comments: github.Ptr(rng.IntN(3)), ReviewComments: github.Ptr(rng.IntN(4)),
			Labels: []*github.Label{labels[rng.IntN(len(labels))]},
			URL:    github.Ptr(fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", full, number)),
			Head:   &github.PullRequestBranch{Ref: github.Ptr(fmt.Sprintf("change-%d", number)), SHA: github.Ptr(sha)},
			Base:   &github.PullRequestBranch{Ref: github.Ptr("main")},
		}
		pr := &Pull{GH: p, Commits: []string{sha}}
		span := spec.MaxReviews - spec.MinReviews + 1
		for j := range spec.MinReviews + rng.IntN(max(1, span)) {
			rid := st.NewID()
			pr.Reviews = append(pr.Reviews, &github.PullRequestReview{
				ID: github.Ptr(rid), NodeID: github.Ptr(fmt.Sprintf("PRR_%d", rid)), User: people[(int(id)+j+1)%len(people)],
				State: github.Ptr("APPROVED"), SubmittedAt: ts(created.Add(time.Duration(j+1) * time.Minute)), CommitID: github.Ptr(sha),
			})
		}
		repo.Pulls[number] = pr
		out = append(out, number)
	}
	return out
}

// TouchPulls changes n pull requests of repo (spread over its history):
// a new title and updated_at = at. It returns their numbers.
func (st *State) TouchPulls(repo *Repo, n int, at time.Time) []int {
	var nums []int
	for k := range repo.Pulls {
		nums = append(nums, k)
	}
	sort.Ints(nums)
	if n > len(nums) {
		n = len(nums)
	}
	var out []int
	for i := range n {
		k := nums[i*len(nums)/n]
		p := repo.Pulls[k]
		c := *p.GH
		c.Title = github.Ptr(c.GetTitle() + " (edited)")
		c.UpdatedAt = ts(at)
		p.GH = &c
		out = append(out, k)
	}
	return out
}

// AddReview adds a review to a pull request and bumps its updated_at.
func (st *State) AddReview(repo *Repo, number int, by *github.User, state string, at time.Time) (*github.PullRequestReview, error) {
	p := repo.Pulls[number]
	if p == nil {
		return nil, fmt.Errorf("githubtest: %s has no pull request #%d", repo.GH.GetFullName(), number)
	}
	id := st.NewID()
	rv := &github.PullRequestReview{
		ID: github.Ptr(id), NodeID: github.Ptr(fmt.Sprintf("PRR_%d", id)), User: by, State: github.Ptr(state),
		SubmittedAt: ts(at), CommitID: p.GH.GetHead().SHA,
	}
	p.Reviews = append(p.Reviews, rv)
	c := *p.GH
	c.UpdatedAt = ts(at)
	p.GH = &c
	return rv, nil
}
