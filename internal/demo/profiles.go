package demo

// DORA levels a team is generated to land in.
const (
	LevelElite  = "elite"
	LevelHigh   = "high"
	LevelMedium = "medium"
	LevelLow    = "low"
)

// How a team ships.
const (
	cadenceContinuous = iota // a deploy after each merge, batched while one runs
	cadenceDaily             // every work day in the afternoon
	cadenceWeekly            // Thursday release trains
	cadenceBiweekly          // every other Wednesday release train
)

// span is a range of durations in seconds; draws are log-uniform so short
// values are common and long ones possible, as with real cycle times.
type span [2]float64

const (
	minute = 60
	hour   = 3600
)

// profile is the behaviour of a team at one DORA level. Work durations are in
// working seconds of the person doing the work (nights, weekends, holidays
// and vacations do not count); on-call durations are wall-clock.
type profile struct {
	level      string
	pullWeight float64 // relative pull requests per member
	commits    [2]int  // branch commits per pull request
	coding     span    // first commit → opened
	pickup     span    // opened → first review
	rework     span    // changes requested → fix pushed
	approve    span    // fix pushed → approval
	mergeDelay span    // approval → merge
	changesP   float64 // a reviewer requests changes
	secondP    float64 // a second reviewer joins
	mergeP     float64 // merged rather than closed
	lines      [2]int  // lines changed

	cadence    int
	deployHour int     // local hour of scheduled deploys
	pipeline   span    // merge → deploy start (continuous)
	deployDur  span    // one environment's deploy
	failP      float64 // a deploy attempt fails
	cfr        float64 // a production deploy causes an incident
	detect     span    // deploy finished → incident opened (wall clock)
	rollbackP  float64 // the incident is handled with a rollback
	revertP    float64 // else with a revert (else a hotfix)
	freeze     bool    // deploys stop while an incident is open
	fastFix    bool    // the fix is deployed at once, not with the next train
	onCall     bool    // incident work runs on wall-clock time
	unrelated  float64 // incidents per repository per year not caused by a deploy
	mitigate   span    // unrelated incident opened → resolved (wall clock)
}

func profileFor(level string) *profile {
	switch level {
	case LevelElite:
		return &profile{
			level: level, pullWeight: 1.5, commits: [2]int{1, 12},
			coding: span{10 * minute, 2 * hour}, pickup: span{5 * minute, 45 * minute},
			rework: span{15 * minute, 2 * hour}, approve: span{5 * minute, 45 * minute},
			mergeDelay: span{1 * minute, 20 * minute},
			changesP:   0.25, secondP: 0.85, mergeP: 0.93, lines: [2]int{5, 300},
			cadence: cadenceContinuous, pipeline: span{10 * minute, 30 * minute},
			deployDur: span{3 * minute, 8 * minute}, failP: 0.03, cfr: 0.05,
			detect: span{4 * minute, 20 * minute}, rollbackP: 0.75, revertP: 0.9,
			freeze: true, fastFix: true, onCall: true, unrelated: 1,
			mitigate: span{15 * minute, 50 * minute},
		}
	case LevelHigh:
		return &profile{
			level: level, pullWeight: 1.2, commits: [2]int{2, 16},
			coding: span{3 * hour, 24 * hour}, pickup: span{30 * minute, 6 * hour},
			rework: span{1 * hour, 8 * hour}, approve: span{30 * minute, 4 * hour},
			mergeDelay: span{5 * minute, 2 * hour},
			changesP:   0.35, secondP: 0.85, mergeP: 0.9, lines: [2]int{10, 600},
			cadence: cadenceDaily, deployHour: 15,
			deployDur: span{5 * minute, 15 * minute}, failP: 0.06, cfr: 0.10,
			detect: span{15 * minute, 4 * hour}, rollbackP: 0.4, revertP: 0.35,
			freeze: true, fastFix: true, onCall: true, unrelated: 2,
			mitigate: span{1 * hour, 10 * hour},
		}
	case LevelMedium:
		return &profile{
			level: level, pullWeight: 0.9, commits: [2]int{2, 22},
			coding: span{8 * hour, 40 * hour}, pickup: span{2 * hour, 20 * hour},
			rework: span{3 * hour, 20 * hour}, approve: span{2 * hour, 12 * hour},
			mergeDelay: span{15 * minute, 6 * hour},
			changesP:   0.45, secondP: 0.8, mergeP: 0.87, lines: [2]int{20, 1200},
			cadence: cadenceWeekly, deployHour: 11,
			deployDur: span{10 * minute, 30 * minute}, failP: 0.1, cfr: 0.18,
			detect: span{1 * hour, 20 * hour}, rollbackP: 0.2, revertP: 0.3,
			fastFix: false, unrelated: 2,
			mitigate: span{24 * hour, 96 * hour},
		}
	}
	return &profile{
		level: LevelLow, pullWeight: 0.6, commits: [2]int{3, 32},
		coding: span{16 * hour, 80 * hour}, pickup: span{8 * hour, 48 * hour},
		rework: span{8 * hour, 40 * hour}, approve: span{4 * hour, 24 * hour},
		mergeDelay: span{1 * hour, 16 * hour},
		changesP:   0.55, secondP: 0.8, mergeP: 0.82, lines: [2]int{40, 2500},
		cadence: cadenceBiweekly, deployHour: 10,
		deployDur: span{20 * minute, 60 * minute}, failP: 0.15, cfr: 0.45,
		detect: span{2 * hour, 72 * hour}, rollbackP: 0.1, revertP: 0.3,
		fastFix: false, unrelated: 3,
		mitigate: span{72 * hour, 400 * hour},
	}
}
