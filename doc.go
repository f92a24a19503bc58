// Package parley holds the domain of parley, a communications platform for prisons and
// jails: facilities, inmates, devices, privileged numbers, call records, recordings,
// retention, audit events and the contracts (interfaces) that adapters implement.
//
// This package imports only the standard library. Adapters live in subpackages named after
// their technology (sqlite, postgres, file, keydir…) and are wired together in cmd/parley.
//
// Every value in these types is plaintext. Adapters that persist them are responsible for
// keeping personal data (phone numbers, names, inmate ids, account numbers) encrypted at rest:
// see FieldCipher.
package parley
