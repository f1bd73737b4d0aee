package store

import "time"

// Role is what a user may do.
type Role string

// The roles. Each handler of the web app admits exactly one role.
const (
	RoleAdmin     Role = "admin"     // projects, users, import/export, dashboards
	RoleAnnotator Role = "annotator" // labels pairs, sees nobody else's labels
	RoleReviewer  Role = "reviewer"  // sees labels, quarantines annotators
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleAnnotator || r == RoleReviewer
}

// Preference is a label's verdict on a pair, always in the stored orientation:
// A is the pair's first response, B its second, whatever the annotator saw.
type Preference string

// The four preferences.
const (
	PrefA   Preference = "A"
	PrefB   Preference = "B"
	PrefTie Preference = "tie"
	PrefBad Preference = "bad" // both bad
)

// Valid reports whether p is one of the four preferences.
func (p Preference) Valid() bool {
	return p == PrefA || p == PrefB || p == PrefTie || p == PrefBad
}

// Flip exchanges A and B (ties and both-bad stay).
func (p Preference) Flip() Preference {
	switch p {
	case PrefA:
		return PrefB
	case PrefB:
		return PrefA
	}
	return p
}

// User is an account.
type User struct {
	ID           int64
	Username     string
	Role         Role
	Paused       bool
	PausedReason string
	CreatedAt    time.Time
}

// Project groups pairs with their assignment settings.
type Project struct {
	ID              int64
	Name            string
	K               int           // annotations wanted per pair, from distinct annotators
	GoldRate        float64       // probability that the next item is a gold item
	Reservation     time.Duration // how long an assigned item is held for its annotator
	GoldThreshold   float64       // gold accuracy under which an annotator is paused
	GoldMin         int           // gold items answered before the threshold applies
	CreatedAt       time.Time
	Pairs, Gold     int // counts, filled by Projects
	Labels, Targets int // labels so far; K × non-gold pairs
}

// Ratings are 1–10 scores of one response.
type Ratings struct {
	Coherence int `json:"coherence"`
	Relevance int `json:"relevance"`
	Safety    int `json:"safety"`
}

// Valid reports whether every score is within 1–10.
func (r Ratings) Valid() bool {
	ok := func(v int) bool { return v >= 1 && v <= 10 }
	return ok(r.Coherence) && ok(r.Relevance) && ok(r.Safety)
}

// Pair is a prompt with two responses to compare.
type Pair struct {
	ID        int64
	ProjectID int64
	ExtID     string
	Prompt    string
	ResponseA string
	ResponseB string
	Tags      []string
	Gold      Preference // known answer of a gold item, "" otherwise
}

// Assignment is a pair reserved for one annotator, with the sides as shown.
type Assignment struct {
	ID         int64
	Pair       Pair
	UserID     int64
	Swapped    bool // the annotator sees ResponseB on the left, as "A"
	ReservedAt time.Time
	ExpiresAt  time.Time
}

// Shown returns the two responses in the order the annotator sees them.
func (a *Assignment) Shown() (left, right string) {
	if a.Swapped {
		return a.Pair.ResponseB, a.Pair.ResponseA
	}
	return a.Pair.ResponseA, a.Pair.ResponseB
}

// Label is one annotator's raw judgment of one pair, in stored orientation.
type Label struct {
	ID           int64
	PairID       int64
	UserID       int64
	Username     string
	ProjectID    int64
	AssignmentID int64
	Swapped      bool
	Preference   Preference
	A, B         Ratings
	Harmful      bool
	Comment      string
	Duration     time.Duration
	Gold         bool
	CreatedAt    time.Time
}

// Quarantine excludes an annotator's labels in a project from export.
type Quarantine struct {
	ProjectID int64
	UserID    int64
	Username  string
	Reason    string
	ActorID   int64
	CreatedAt time.Time
}

// JournalEntry is one change, as recorded.
type JournalEntry struct {
	ID       int64
	At       time.Time
	ActorID  int64
	Action   string
	Entity   string
	EntityID int64
	Detail   string
}

func ms(t int64) time.Time { return time.UnixMilli(t) }
