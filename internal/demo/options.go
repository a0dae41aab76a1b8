// Package demo generates a whole GitHub organization, deterministically: its
// people, partner companies, teams, repositories and a year of work (pull
// requests, reviews, pushes, releases, deployments, incidents, issues),
// delivered as a time-ordered stream of GitHub webhook deliveries and CI
// events.
//
// The stream goes through the same intake and projection as real traffic, so
// a demo database, the fake GitHub server and the benchmarks all hold data
// that the real code paths produced. The same Options always give the same
// stream, byte for byte.
//
//	sum, err := demo.Stream(demo.Options{Seed: 1, Scale: demo.Small, End: end},
//		func(it *demo.Item) error {
//			if d := it.Delivery; d != nil {
//				body, err := d.Body()
//				...
//			}
//			return nil
//		})
package demo

import (
	"fmt"
	"time"
)

// Scale is the size of the generated organization.
type Scale string

// Scales. The pull-request targets are for DefaultMonths of history; other
// lengths scale the counts, not the pace, so a team keeps its rhythm.
const (
	Small  Scale = "small"  // about 5 repositories, 2,000 pull requests
	Medium Scale = "medium" // about 30 repositories, 20,000 pull requests
	Large  Scale = "large"  // about 128 repositories, 100,000 pull requests
)

// DefaultMonths is the history length when Options.Months is zero.
const DefaultMonths = 12

// DefaultOrg is the organization login when Options.Org is empty.
const DefaultOrg = "acme-corp"

// Options describe the organization to generate.
type Options struct {
	Seed   int64
	Scale  Scale // empty means Small
	Months int   // history length; zero means DefaultMonths
	// End is the instant the history stops. It is required: defaulting to
	// the current time here would make two runs differ, so only the CLI
	// picks it (a fixed truncation of today).
	End time.Time
	Org string // organization login; empty means DefaultOrg
}

// ParseScale turns a flag value into a Scale.
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case Small, Medium, Large:
		return Scale(s), nil
	case "":
		return Small, nil
	}
	return "", fmt.Errorf("demo: unknown scale %q (want small, medium or large)", s)
}

func (o Options) normalize() (Options, error) {
	if o.Scale == "" {
		o.Scale = Small
	}
	if _, err := ParseScale(string(o.Scale)); err != nil {
		return o, err
	}
	if o.Months == 0 {
		o.Months = DefaultMonths
	}
	if o.Months < 1 || o.Months > 60 {
		return o, fmt.Errorf("demo: months must be between 1 and 60, got %d", o.Months)
	}
	if o.End.IsZero() {
		return o, fmt.Errorf("demo: options need an explicit End time")
	}
	// Whole seconds in UTC: GitHub timestamps have no fractions, and the
	// output must not depend on the caller's location.
	o.End = o.End.UTC().Truncate(time.Second)
	if o.Org == "" {
		o.Org = DefaultOrg
	}
	return o, nil
}

// scaleSpec is the shape of an organization at one scale.
type scaleSpec struct {
	levels       []string // one entry per team: its DORA level
	reposPerTeam []int    // parallel to levels
	members      int      // people per team at the start
	independents int      // outside contributors (forks)
	pullsPerYear int
}

func specFor(s Scale) scaleSpec {
	switch s {
	case Medium:
		return scaleSpec{
			levels:       []string{LevelElite, LevelHigh, LevelMedium, LevelLow, LevelElite, LevelHigh, LevelMedium, LevelLow},
			reposPerTeam: []int{4, 4, 4, 3, 4, 4, 4, 3},
			members:      6,
			independents: 20,
			pullsPerYear: 20000,
		}
	case Large:
		var sp scaleSpec
		// More high and medium teams than elite ones: continuous deployment
		// of an elite team alone would otherwise exceed the deployment
		// volume the metrics benchmarks are sized for.
		for _, l := range []string{LevelElite, LevelHigh, LevelMedium, LevelLow, LevelHigh, LevelMedium, LevelElite, LevelHigh, LevelMedium, LevelLow, LevelHigh, LevelMedium, LevelLow, LevelHigh, LevelMedium, LevelLow} {
			sp.levels = append(sp.levels, l, l)
			sp.reposPerTeam = append(sp.reposPerTeam, 4, 4)
		}
		sp.members = 10
		sp.independents = 60
		sp.pullsPerYear = 100000
		return sp
	}
	return scaleSpec{
		levels:       []string{LevelElite, LevelHigh, LevelMedium, LevelLow},
		reposPerTeam: []int{2, 1, 1, 1},
		members:      4,
		independents: 6,
		pullsPerYear: 2000,
	}
}
