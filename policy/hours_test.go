package policy

import (
	"testing"
	"time"

	"parley.dev/parley"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := location(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func win(t testing.TB, s string) Window {
	t.Helper()
	w, err := ParseWindow(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestOpenForChicago(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, chicago) }
	var springSun, fallSun, fri Week
	springSun[time.Sunday] = []Window{win(t, "01:30-02:30")}
	fallSun[time.Sunday] = []Window{win(t, "01:00-02:00")}
	fri[time.Friday] = []Window{win(t, "22:00-02:00")}
	tests := []struct {
		name string
		wk   Week
		now  time.Time
		want time.Duration // 0: closed
	}{
		{"spring forward, open", springSun, at(2026, 3, 8, 1, 30), 30 * time.Minute},
		{"spring forward 01:45", springSun, at(2026, 3, 8, 1, 45), 15 * time.Minute},
		{"spring forward 03:00 CDT", springSun, time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), 0},
		{"normal Sunday", springSun, at(2026, 3, 1, 1, 45), 45 * time.Minute},
		{"fall back, first 01:00", fallSun, time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), 2 * time.Hour},
		{"fall back, second 01:00", fallSun, time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), time.Hour},
		{"fall back, 02:00 CST", fallSun, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), 0},
		{"Friday night", fri, at(2026, 3, 6, 23, 0), 3 * time.Hour},
		{"Saturday small hours", fri, at(2026, 3, 7, 1, 59), time.Minute},
		{"Saturday 02:00", fri, at(2026, 3, 7, 2, 0), 0},
		{"Thursday small hours", fri, at(2026, 3, 5, 1, 0), 0},
		// 2026-03-07 04:00 UTC is Friday 22:00 in Chicago.
		{"Friday in Chicago, Saturday in UTC", fri, time.Date(2026, 3, 7, 4, 0, 0, 0, time.UTC), 4 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, open := tt.wk.openFor(tt.now, chicago, 24*time.Hour)
			if open != (tt.want > 0) || got != tt.want {
				t.Errorf("openFor = %s, %v; want %s", got, open, tt.want)
			}
		})
	}
}

func TestOpenForHorizon(t *testing.T) {
	wk := allDay()
	got, open := wk.openFor(t0, time.UTC, 90*time.Minute)
	if !open || got != 90*time.Minute {
		t.Errorf("always open: openFor = %s, %v; want the horizon", got, open)
	}
}

// TestOpenForAgreesWithInHours checks openFor against the plain membership test minute by
// minute, across DST transitions in zones with 1-hour, 30-minute and no shifts.
func TestOpenForAgreesWithInHours(t *testing.T) {
	var nights, days, split, sparse Week
	for d := range 7 {
		nights[d] = []Window{win(t, "22:00-02:00")}
		days[d] = []Window{win(t, "00:00-01:30"), win(t, "01:30-02:30"), win(t, "08:00-24:00")}
		split[d] = []Window{win(t, "01:15-01:45"), win(t, "02:15-03:05")}
	}
	sparse[time.Sunday] = []Window{win(t, "00:30-01:30"), win(t, "23:59-00:01")}
	sparse[time.Saturday] = []Window{win(t, "23:00-24:00")}
	weeks := map[string]Week{"nights": nights, "days": days, "split": split, "sparse": sparse, "all": allDay()}
	zones := []string{"America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"}
	starts := []time.Time{
		time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC),   // US spring forward
		time.Date(2026, 10, 31, 18, 0, 0, 0, time.UTC), // US fall back
		time.Date(2026, 3, 28, 18, 0, 0, 0, time.UTC),  // EU spring forward
		time.Date(2026, 4, 4, 6, 0, 0, 0, time.UTC),    // Lord Howe: back 30 minutes
		time.Date(2026, 10, 3, 6, 0, 0, 0, time.UTC),   // Lord Howe: forward 30 minutes
	}
	const horizon = 6 * time.Hour
	for _, zone := range zones {
		loc := mustLoc(t, zone)
		for name, wk := range weeks {
			for _, start := range starts {
				for now := start; now.Before(start.Add(20 * time.Hour)); now = now.Add(17*time.Minute + 13*time.Second) {
					got, open := wk.openFor(now, loc, horizon)
					if open != wk.inHours(now, loc) {
						t.Fatalf("%s %s at %s: openFor open=%v, inHours disagrees", zone, name, now, open)
					}
					if !open {
						continue
					}
					for d := time.Duration(0); d < got; d += time.Minute {
						if !wk.inHours(now.Add(d), loc) {
							t.Fatalf("%s %s at %s: openFor = %s but closed after %s", zone, name, now, got, d)
						}
					}
					if !wk.inHours(now.Add(got-time.Nanosecond), loc) {
						t.Fatalf("%s %s at %s: closed just before %s", zone, name, now, got)
					}
					if got < horizon && wk.inHours(now.Add(got), loc) {
						t.Fatalf("%s %s at %s: still open after %s", zone, name, now, got)
					}
				}
			}
		}
	}
}

func TestMonthBounds(t *testing.T) {
	chicago := mustLoc(t, "America/Chicago")
	// 2026-03-01 05:00 UTC is still February in Chicago.
	start, end, err := MonthBounds(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), "America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 2, 1, 0, 0, 0, 0, chicago); !start.Equal(want) {
		t.Errorf("start = %s, want %s", start, want)
	}
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, chicago); !end.Equal(want) {
		t.Errorf("end = %s, want %s", end, want)
	}
	start, end, _ = MonthBounds(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "")
	if !start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !end.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC December = [%s, %s)", start, end)
	}
	if _, _, err := MonthBounds(t0, "Nowhere/Special"); !parley.IsKind(err, parley.KindInvalid) {
		t.Errorf("unknown zone: err = %v, want KindInvalid", err)
	}
}
