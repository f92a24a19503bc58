package phone

import (
	"github.com/nyaruka/phonenumbers"

	"parley.dev/parley"
)

// Region returns the ISO 3166-1 alpha-2 region a number belongs to ("US", "CA", "JM",
// "PR"…), as libphonenumber's metadata assigns it, or "" when the number is not E.164 or
// no region claims it. Country code +1 is shared by the whole North American Numbering
// Plan — the United States and its territories, Canada and many Caribbean countries — so
// the region, not the country code, says which country a +1 number is in.
func Region(n parley.Number) string {
	if !n.Valid() {
		return ""
	}
	pn, err := phonenumbers.Parse(string(n), "ZZ")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(pn)
	if r == "ZZ" {
		return ""
	}
	return r
}
