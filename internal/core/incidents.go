package core

// Incident sources besides CI events. The metrics refresh keeps these
// rows: an issue with an incident label is an incident of source github
// (keyed by the issue id), and a rollback that no incident explains is one
// of source rollback (keyed by the CI event id).
const (
	IncidentSourceGitHub   = "github"
	IncidentSourceRollback = "rollback"
)
