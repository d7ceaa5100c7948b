// Package auditlog defines Blindvault's transparency log
// (docs/spec/log-v1.md): the entries the server appends for every security
// event, the checkpoints it signs over their Merkle tree (RFC 6962 hashing,
// golang.org/x/mod/sumdb/tlog), and the witness cosignatures
// (c2sp.org/tlog-cosignature) that let clients detect a forked log.
//
// Entries name accounts in the clear only for account-scoped events (a key
// card, a device, a chain entry); record-scoped events name the people involved
// by a hash salted per record, which only the record's owner and readers (and
// the server) know, so a third party reading the log cannot tell who shares
// with whom.
package auditlog
