package authz

import "parley.dev/parley"

// Actions of public accounts (attorneys and families). Each touches only the account's
// own things: the rule requires Resource.OwnerID to be the asking account.
const (
	ManageOwnNumbers Action = "public.numbers" // an attorney's numbers and their registration
	UseFamilyAccount Action = "family.account" // a family account: rates, money, calls, self-blocks
)

// PublicActions lists the actions of public accounts.
var PublicActions = []Action{ManageOwnNumbers, UseFamilyAccount}

// publicRules hold the public actions; no staff role appears in them, and no public role
// appears in rules, so neither side reaches the other's actions.
var publicRules = map[Action]rule{
	ManageOwnNumbers: {roles: []parley.Role{parley.RoleAttorney}, owned: true},
	UseFamilyAccount: {roles: []parley.Role{parley.RoleFamily}, owned: true},
}

// ruleFor returns the rule of an action, staff or public.
func ruleFor(action Action) (rule, bool) {
	if r, ok := rules[action]; ok {
		return r, true
	}
	r, ok := publicRules[action]
	return r, ok
}
