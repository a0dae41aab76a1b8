package core

import "time"

// The GitHub entities of schema v1. Ids are GitHub's own (database ids), so
// a webhook, a REST answer and a GraphQL answer about the same object land
// on the same row. RepoID is always Sextant's repository id
// (Repository.ID), resolved by whoever stores the object. A zero time is
// unknown (NULL).

// Actor types, as GitHub names them.
const (
	ActorUser         = "User"
	ActorBot          = "Bot"
	ActorOrganization = "Organization"
)

// Actor is a GitHub account: a user, a bot or an organization.
type Actor struct {
	ID        int64
	Login     string
	Type      string
	Name      string
	Email     string
	UpdatedAt time.Time
}

// IsBot reports whether the actor is a bot by GitHub's type or by the
// "[bot]" suffix GitHub Apps carry.
func (a Actor) IsBot() bool {
	return a.Type == ActorBot || len(a.Login) > 5 && a.Login[len(a.Login)-5:] == "[bot]"
}

// Organization is a GitHub organization.
type Organization struct {
	ID        int64
	Login     string
	Name      string
	UpdatedAt time.Time
}

// OrgMember is a span of an actor's membership of an organization. Until
// is zero while the membership lasts.
type OrgMember struct {
	OrgID   int64
	ActorID int64
	Role    string
	Since   time.Time
	Until   time.Time
}

// Team is a team of an organization.
type Team struct {
	ID        int64
	OrgID     int64
	Slug      string
	Name      string
	ParentID  int64
	Privacy   string
	Deleted   bool
	UpdatedAt time.Time
}

// TeamMember is a span of an actor's membership of a team. Until is zero
// while the membership lasts.
type TeamMember struct {
	TeamID  int64
	ActorID int64
	Role    string
	Since   time.Time
	Until   time.Time
}

// Pull request and issue states.
const (
	StateOpen   = "open"
	StateClosed = "closed"
)

// PullRequest is a GitHub pull request.
type PullRequest struct {
	ID             int64
	RepoID         int64
	Number         int
	NodeID         string
	AuthorID       int64
	Title          string
	State          string // open or closed
	Draft          bool
	Merged         bool
	MergeCommitSHA string
	MergedByID     int64
	HeadRef        string
	HeadSHA        string
	BaseRef        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       time.Time
	MergedAt       time.Time
	FirstCommitAt  time.Time // authored time of the earliest commit, when known
	Additions      int
	Deletions      int
	ChangedFiles   int
	Commits        int
	ReviewComments int
	// Labels replaces the stored labels when not nil; nil leaves them.
	Labels []string
	// Abridged marks the shortened copy that review and review-comment
	// payloads carry (no counts, no merged flag): it fills a missing row but
	// never replaces a full copy.
	Abridged bool
}

// Review states, as GitHub's REST API spells them.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Review is a pull request review.
type Review struct {
	ID            int64
	PullRequestID int64
	RepoID        int64
	ReviewerID    int64
	State         string
	CommitID      string
	SubmittedAt   time.Time
}

// ReviewComment is a comment on a pull request's diff.
type ReviewComment struct {
	ID            int64
	PullRequestID int64
	RepoID        int64
	ReviewID      int64
	AuthorID      int64
	InReplyToID   int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Deleted       bool
}

// Issue is a GitHub issue (pull requests are PullRequest, even though
// GitHub's issues API lists them too).
type Issue struct {
	ID          int64
	RepoID      int64
	Number      int
	NodeID      string
	AuthorID    int64
	Title       string
	Body        string // kept only where a metric reads it (incidents' "root cause: <sha>")
	State       string
	StateReason string // completed, not_planned, reopened
	Comments    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
	Deleted     bool
	// Labels replaces the stored labels when not nil; nil leaves them.
	Labels []string
}

// IssueComment is a comment on an issue or on a pull request's
// conversation (OnPull).
type IssueComment struct {
	ID          int64
	RepoID      int64
	IssueNumber int
	IssueID     int64
	OnPull      bool
	AuthorID    int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Deleted     bool
}

// IssueEvent is an event of an issue's timeline (labeled, closed,
// referenced, transferred, …).
type IssueEvent struct {
	ID          int64
	RepoID      int64
	IssueNumber int
	IssueID     int64
	ActorID     int64
	Event       string
	Label       string
	CommitID    string
	CreatedAt   time.Time
}

// IssueTransfer is an issue moved from one repository to another. Either
// end may be learned first: GitHub tells the old end on the old issue's
// "transferred" delivery and the new end on the new issue's "opened".
type IssueTransfer struct {
	OldIssueID    int64
	OldRepoID     int64
	OldNumber     int
	NewIssueID    int64
	NewRepoID     int64
	NewNumber     int
	ActorID       int64
	TransferredAt time.Time
}

// Commit is a git commit of a repository.
type Commit struct {
	RepoID         int64
	SHA            string
	AuthorID       int64
	AuthorName     string
	AuthorEmail    string
	AuthoredAt     time.Time
	CommitterEmail string
	CommittedAt    time.Time
	Message        string
}

// Push is one push to a ref, with the shas it added in order (oldest
// first), as the push webhook lists them.
type Push struct {
	RepoID       int64
	Ref          string
	BeforeSHA    string
	AfterSHA     string
	PusherID     int64
	PusherName   string
	Forced       bool
	Created      bool
	Deleted      bool
	DistinctSize int
	PushedAt     time.Time
	DeliveryID   string
	Commits      []string
}

// RefEvent is a branch or tag created or deleted.
type RefEvent struct {
	RepoID     int64
	Ref        string
	RefType    string // branch or tag
	Action     string // created or deleted
	ActorID    int64
	At         time.Time
	DeliveryID string
}

// Release is a GitHub release.
type Release struct {
	ID              int64
	RepoID          int64
	TagName         string
	Name            string
	TargetCommitish string
	Draft           bool
	Prerelease      bool
	AuthorID        int64
	CreatedAt       time.Time
	PublishedAt     time.Time
	Deleted         bool
}

// CheckSuite is a check suite of a commit.
type CheckSuite struct {
	ID         int64
	RepoID     int64
	HeadSHA    string
	HeadBranch string
	Status     string
	Conclusion string
	AppSlug    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CheckRun is one check of a suite.
type CheckRun struct {
	ID           int64
	CheckSuiteID int64
	RepoID       int64
	Name         string
	HeadSHA      string
	Status       string
	Conclusion   string
	StartedAt    time.Time
	CompletedAt  time.Time
}

// WorkflowRun is a GitHub Actions workflow run.
type WorkflowRun struct {
	ID         int64
	RepoID     int64
	WorkflowID int64
	Name       string
	Event      string
	HeadSHA    string
	HeadBranch string
	RunNumber  int
	RunAttempt int
	Status     string
	Conclusion string
	CreatedAt  time.Time
	StartedAt  time.Time
	UpdatedAt  time.Time
}

// WorkflowJob is a job of a workflow run.
type WorkflowJob struct {
	ID          int64
	RunID       int64
	RepoID      int64
	Name        string
	Status      string
	Conclusion  string
	CreatedAt   time.Time
	StartedAt   time.Time
	CompletedAt time.Time
}
