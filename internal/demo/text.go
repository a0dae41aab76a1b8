package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Words for titles, messages and comments. Functions rather than package
// variables: the tables are constants in spirit and must not be shared
// mutable state.

func verbs() []string {
	return []string{"Add", "Fix", "Refactor", "Improve", "Remove", "Update", "Speed up", "Handle", "Simplify", "Document", "Validate", "Cache"}
}

func topics() []string {
	return []string{
		"retry logic for outgoing webhooks", "pagination in the list endpoint", "timeouts on the payment client",
		"rate limiting per tenant", "the login redirect", "currency rounding", "search ranking", "CSV export",
		"the settings page", "feature flag cleanup", "metrics for queue depth", "the nightly reconciliation job",
		"error messages on invalid input", "the onboarding checklist", "dark mode", "audit log entries",
		"SQL query for the dashboard", "flaky integration test", "config loading", "graceful shutdown",
		"email templates", "the mobile deep links", "cache invalidation", "structured logging",
		"the admin API", "webhook signature checks", "image resizing", "invoice PDFs", "tracing spans", "the health check",
	}
}

func problems() []string {
	return []string{
		"elevated 5xx on checkout", "login failures after deploy", "queue backlog growing", "payment timeouts",
		"search returning empty results", "memory leak in worker", "broken image uploads", "slow dashboard queries",
		"webhook deliveries failing", "stale cache after deploy",
	}
}

func unrelatedIncidents() []string {
	return []string{"database failover", "cloud provider network degradation", "expired TLS certificate", "DNS resolution errors", "third-party API outage"}
}

func reviewBodies(state string) []string {
	switch state {
	case "approved":
		return []string{"LGTM", "Looks good to me.", "Ship it!", "Nice cleanup, thanks.", "", "Approved with a small nit, fine to merge."}
	case "changes_requested":
		return []string{"A few things to address before merging.", "Please add tests for the error path.", "This needs a migration note.", "Can we avoid the extra query here?"}
	}
	return []string{"Some thoughts inline.", "Left a couple of questions.", "Non-blocking comments."}
}

func lineComments() []string {
	return []string{
		"Could this be a constant?", "Nit: naming.", "What happens when this is nil?", "Should we log here?",
		"This allocates on every call.", "Can you add a test for this branch?", "Is this lock needed?",
		"Typo in the comment.", "Let's return the wrapped error.", "Why not reuse the existing helper?",
	}
}

func conversation() []string {
	return []string{
		"Thanks for the review!", "Updated, PTAL.", "I'll follow up in a separate PR.", "Rebased on main.",
		"Tested this on staging, works.", "Good catch, fixed.", "Does this need a changelog entry?",
		"cc @team for visibility", "Can we merge this today?", "CI is green now.",
	}
}

func issueTitles() []string {
	return []string{
		"Crash when the config file is empty", "Support for SSO login", "Export fails for large accounts",
		"Wrong timezone in reports", "Add an API to list invoices", "Slow page load on the dashboard",
		"Docs: clarify webhook setup", "Allow custom retention period", "Search ignores accents",
		"Notification emails sent twice", "Dark mode contrast issues", "Question: rate limits for the API",
	}
}

func filePaths() []string {
	return []string{
		"cmd/server/main.go", "internal/api/handler.go", "internal/api/handler_test.go", "internal/store/queries.go",
		"internal/store/migrations/0042.sql", "internal/worker/queue.go", "internal/config/config.go",
		"web/src/App.tsx", "web/src/components/Table.tsx", "docs/README.md", "go.mod", "go.sum",
		"Makefile", ".github/workflows/ci.yml", "internal/auth/session.go", "internal/billing/invoice.go",
	}
}

func depNames() []string {
	return []string{
		"golang.org/x/net", "golang.org/x/crypto", "github.com/stretchr/testify", "google.golang.org/grpc",
		"github.com/prometheus/client_golang", "github.com/jackc/pgx/v5", "eslint", "typescript", "react",
	}
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func version(r *rand.Rand) (string, string) {
	major, minor := r.IntN(3), r.IntN(30)
	patch := r.IntN(10)
	return fmt.Sprintf("%d.%d.%d", major, minor, patch), fmt.Sprintf("%d.%d.%d", major, minor+1+r.IntN(3), r.IntN(5))
}
