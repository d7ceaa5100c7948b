// Package summary holds what the printable summary (blindvault export --pdf,
// the portal's "Download summary (PDF)") shows: the records an account owns
// or reads, who can read each of its own now, and their recent access
// history, each as the SDK verified it. The SDK gathers a [Data]; package
// summarypdf prints it. This package links nothing else, so that the SDK's
// browser build, which prints in a module of its own (wasm/pdf, pdf.wasm),
// can use the types without linking the PDF library.
package summary

import "time"

// The access history the summary prints: of the MaxHistoryRecords records
// this account owns that changed most recently, the last MaxHistoryEvents
// events each. It is a summary, not the whole log (blindvault audit).
const (
	MaxHistoryRecords = 25
	MaxHistoryEvents  = 6
)

// Data is one account's summary, as of Time.
type Data struct {
	Account Agent
	Time    time.Time
	// Records are every record the account owns or reads, as List lists
	// them.
	Records []Record
	// History is the recent access history of the records the account
	// owns, the most recently changed first.
	History []History
	// HistoryLeftOut counts the account's records whose history is left
	// out (over MaxHistoryRecords).
	HistoryLeftOut int
}

// Agent names an account by its key fingerprint, and its handle for people.
type Agent struct {
	Handle      string
	Fingerprint string
}

// Record is one record's newest version this account can read.
type Record struct {
	Type, Title string
	Version     uint64
	Modified    time.Time
	// Author wrote this version; nil if this device cannot name it.
	Author *Agent
	// Owner owns the record; nil if this device cannot name it.
	Owner *Agent
	// Readers are who can read the record now, for a record this account
	// owns (nil for the others).
	Readers []Reader
}

// Reader is one entry of a record's access list in force.
type Reader struct {
	// Owner is the record's owner.
	Owner bool
	// Team names the care team whose key this is, with its status
	// ("verified care team NAME of ORG, N members"), if this device knows
	// the team.
	Team, TeamStatus string
	// Contact is the reader's verified account, if this device knows it,
	// with its status ("unattested" or "verified ROLE of ORG").
	Contact       *Agent
	ContactStatus string
	// KeyID is the hex of the reader's key id.
	KeyID string
}

// History is the recent history of one record.
type History struct {
	Title  string
	Events []Event
}

// Event is one verified log event about a record (sdk.AuditEvent).
type Event struct {
	Time    time.Time
	Action  string
	Who     string
	Whom    string
	Version uint64
}
