package authz

import (
	"sync"
	"time"
)

// Limits bound bulk reads per account: at most PerMinute requests in any minute, and at
// most DailyRecords records (search results and playbacks) per UTC day.
type Limits struct {
	PerMinute    int
	DailyRecords int
}

// DefaultLimits are generous for an investigator and small for a scraper.
var DefaultLimits = Limits{PerMinute: 60, DailyRecords: 2000}

// Limiter counts reads per account, in memory: the limits hold per process (a restart
// resets the counts; several nodes each count their own).
type Limiter struct {
	l  Limits
	mu sync.Mutex
	a  map[string]*usage
}

type usage struct {
	minute    int64 // unix minute of count
	count     int
	day       int64 // unix day of records
	records   int
	capRaised bool // the cap alert was raised today
}

// NewLimiter returns a limiter; zero fields of l take DefaultLimits' values.
func NewLimiter(l Limits) *Limiter {
	if l.PerMinute <= 0 {
		l.PerMinute = DefaultLimits.PerMinute
	}
	if l.DailyRecords <= 0 {
		l.DailyRecords = DefaultLimits.DailyRecords
	}
	return &Limiter{l: l, a: map[string]*usage{}}
}

func (l *Limiter) get(user string, now time.Time) *usage {
	u := l.a[user]
	if u == nil {
		u = &usage{}
		l.a[user] = u
	}
	if m := now.Unix() / 60; u.minute != m {
		u.minute, u.count = m, 0
	}
	if d := now.Unix() / 86400; u.day != d {
		u.day, u.records, u.capRaised = d, 0, false
	}
	return u
}

// Allow counts one request of the account and reports whether it is within the rate and
// the account is still under its daily cap.
func (l *Limiter) Allow(user string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.get(user, now)
	if u.records >= l.l.DailyRecords || u.count >= l.l.PerMinute {
		return false
	}
	u.count++
	return true
}

// Add counts n records read and reports whether this reached the daily cap for the first
// time today (the caller then raises the alert).
func (l *Limiter) Add(user string, n int, now time.Time) (capReached bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.get(user, now)
	u.records += n
	if u.records >= l.l.DailyRecords && !u.capRaised {
		u.capRaised = true
		return true
	}
	return false
}
