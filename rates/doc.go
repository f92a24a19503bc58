// Package rates holds the FCC's caps on what incarcerated people and their families may be
// charged, as versioned data, and the rules parley prices calls by: no rate or fee above
// the cap in force.
//
// # Data
//
// The caps ship in caps.json, embedded in the binary (Default) and replaceable by a newer
// file (LoadFile). Each row gives the first day a cap is in force, the facility type
// (prison or jail), the jail size tier by average daily population (ADP), the service
// (audio or video), the per-minute cap, any per-minute additive the order allows, and its
// source: order number, date, section and how far the figure has been verified. Parse
// refuses a file whose rows are out of date order, whose tiers leave a gap or overlap, or
// whose rows lack a source. The file's notes say what is uncertain; every row carries a
// verified status so a reviewer can check the figures against the orders.
//
// # What parley enforces
//
//   - 2014-02-11: FCC 13-113's interim interstate cap, $0.21/min. Collect calls were
//     allowed $0.25; parley applies $0.21 to every billing method.
//   - FCC 15-136 (2015): not enforced. Its rate caps were stayed and then vacated by the
//     D.C. Circuit in GTL v. FCC (2017), which left the 2013 interim caps in force.
//   - 2021-10-26: FCC 21-60's interim caps, $0.12 prisons and $0.14 jails of ADP 1,000 or
//     more; smaller jails stayed at $0.21. The order's $0.02 site-commission allowance is
//     not used.
//   - 2025-01-01 (prisons, jails of ADP ≥ 1,000) and 2025-04-01 (smaller jails): FCC
//     24-75's audio caps, and its interim video caps (applied to every jail from
//     2025-01-01). The FCC later let providers delay compliance; parley does not, since
//     charging below a cap is always lawful.
//   - 2026-04-06: FCC 25-75's interim caps, with a new tier for jails under 50 and a $0.02
//     facility-cost additive (audio only until its scope is checked).
//
// The federal interstate caps are applied to intrastate calls too. Where the law was
// uncertain the lower figure was chosen.
//
// # Charging
//
// The caps are per-minute maximums (47 CFR § 64.6030; ancillary charges are anything
// beyond "the per-minute charges assessed" under §§ 64.6010 and 64.6030, § 64.6000).
// The orders' text available to us states no rounding rule for partial minutes, and FCC
// 25-75 (90 FR 56013) ends the 2021 per-minute pricing rules at its compliance date.
// parley therefore bills by the second and rounds the total down to the cent (Charge),
// which is never more than rate × duration and never more than per-minute billing with
// partial minutes rounded up: whichever way the rules are read, the charge is within them.
// A call is priced under the cap in force on the day it starts, in the facility's time
// zone. Affordable gives the longest call a balance pays for, so a call can reserve its
// maximum cost before it starts.
//
// # Fees and site commissions
//
// FeeAllowed says whether a separate ancillary fee may be charged on a day at a type of
// facility: FCC 15-136's caps (automated payment $3.00, live agent $5.95, paper bill
// $2.00; prisons from 2016-03-17, jails only from 2016-06-20); FCC 21-60's $6.95 limit on
// third-party financial fees from 2021-10-26, replaced on 2023-01-09 by FCC 22-76's $3.00
// through an automated system and $5.95 through a live agent (a fee whose channel is not
// recorded is held to $3.00); and none from 2025-01-01: FCC 24-75 prohibits separate
// ancillary service charges. Each rule cites its paragraph of 47 CFR § 64.6020(b). A site
// commission — a payment to the facility — is never charged to a caller: parley's
// per-minute rate is all a caller pays, and FeeAllowed refuses SiteCommission whatever the
// date.
//
// # Relay, captioned and international calls
//
// PriceCall prices a call by its class (47 CFR § 64.6040(d)): a relay (TRS) call costs no
// party anything, on every date and whether or not a cap is in force; a captioned (IP CTS,
// CTS) call costs what the same voice call costs. The data file's call_classes cite the
// rules; the code applies them to every date, since charging less is always lawful.
//
// An international call may by law cost the domestic cap plus the provider's average cost
// of terminating calls to the destination (47 CFR § 64.6030(e)). parley records no such
// cost, so an international call is charged the facility's rate for the service, never
// above the domestic cap, and CheckInternationalRate refuses a separate international rate
// above that cap, saying why. DestinationOf classifies a number by its libphonenumber
// region, not its country code: +1 is shared by the United States and its territories
// (domestic), Canada and many Caribbean countries (international).
package rates
