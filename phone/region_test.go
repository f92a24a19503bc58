package phone

import (
	"testing"

	"parley.dev/parley"
)

func TestRegion(t *testing.T) {
	for n, want := range map[parley.Number]string{
		"+12015550123":  "US", // New Jersey
		"+14165550199":  "CA", // Toronto: +1 but Canada
		"+18765550123":  "JM", // Jamaica: +1 but another country
		"+17875550123":  "PR", // Puerto Rico: a US territory
		"+16715550123":  "GU", // Guam
		"+442079460958": "GB",
		"+525555555555": "MX",
		"not-a-number":  "",
		"+1":            "",
	} {
		if got := Region(n); got != want {
			t.Errorf("Region(%s) = %q, want %q", n.Redacted(), got, want)
		}
	}
}
