package sdk

// Check names one verification the SDK makes before it trusts data. A Check is
// an error: errors.Is(err, CheckRollback) tells whether that check failed, and
// errors.As(err, &check) which one did, whatever it was.
type Check string

// The checks, in the order a failure is reported when one error carries
// several (a rollback found while verifying a grant is a rollback first).
const (
	// The server showed less than this client has already seen: an older
	// version or ACL, a shorter account chain, a record missing from a list,
	// or a share withdrawn without the owner's new ACL.
	CheckRollback Check = "rollback"
	// The server showed two different objects for one place in a chain (one
	// record version, one ACL seq, one chain seq).
	CheckEquivocation Check = "equivocation"
	// The log is not an extension of the one this client or a witness saw.
	CheckLogFork Check = "log-fork"
	// The log's entries do not hash to its signed checkpoint.
	CheckLogMismatch Check = "log-mismatch"
	// An operation's log entry is missing, or its receipt does not prove it.
	CheckNotLogged Check = "not-logged"
	// The log shows a key card, device or grant for this account that this
	// account did not make.
	CheckUnexpectedKey Check = "unexpected-key"
	// No witness vouched for the log within Config.MaxCheckpointAge.
	CheckStale Check = "stale"
	// A key card failed verification before use: its self-signature, its
	// chain of successors, or the fingerprint pinned or asked for.
	CheckKeyUnverified Check = "key-unverified"
	// An account chain entry is not validly signed or does not follow the
	// entry before it.
	CheckChain Check = "chain"
	// The server answered with another record, version or account than asked.
	CheckWrongRecord Check = "wrong-record"
	// The ACL in force gives this identity read access, but the server
	// withholds its grant.
	CheckMissingGrant Check = "missing-grant"
	// The server's OPRF answer did not verify against its public key.
	CheckOPRF Check = "oprf"
	// The record was signed by someone other than DecryptOptions.Signer.
	CheckSignerMismatch Check = "signer-mismatch"
	// The header's signer is not the author's identity key.
	CheckSigner Check = "signer"
	// The author has no write authority over the record.
	CheckWriteAuthority Check = "write-authority"
	// The header does not match the ACL in force.
	CheckWrongACL Check = "wrong-acl"
	// A grant is not valid for this record, epoch and reader.
	CheckGrant Check = "grant"
	// The data key does not match the signed key commitment.
	CheckCommitment Check = "commitment"
	// The data key does not unwrap under the epoch key.
	CheckUnwrap Check = "unwrap"
	// A body chunk does not match the signed leaf list.
	CheckLeafMismatch Check = "leaf-mismatch"
	// A body chunk fails its authentication tag.
	CheckChunkAuth Check = "chunk-auth"
	// The body ends before its signed length.
	CheckTruncated Check = "truncated"
	// A signature does not verify.
	CheckBadSignature Check = "bad-signature"
	// The record's signed sizes are inconsistent.
	CheckLayout Check = "layout"
	// The body's padding is not zero.
	CheckPadding Check = "padding"
	// The sealed metadata does not open or is not valid.
	CheckMeta Check = "meta"
	// Argon2id parameters below the floor (t=3, m=64 MiB, p=4).
	CheckWeakParams Check = "weak-params"
	// Argon2id parameters above the ceiling: too costly to try.
	CheckExcessiveParams Check = "excessive-params"
)

// checkOrder lists every check in the order above.
var checkOrder = []Check{
	CheckRollback, CheckEquivocation, CheckLogFork, CheckLogMismatch, CheckNotLogged,
	CheckUnexpectedKey, CheckStale, CheckKeyUnverified, CheckChain, CheckWrongRecord,
	CheckMissingGrant, CheckOPRF, CheckSignerMismatch, CheckSigner, CheckWriteAuthority,
	CheckWrongACL, CheckGrant, CheckCommitment, CheckUnwrap, CheckLeafMismatch,
	CheckChunkAuth, CheckTruncated, CheckBadSignature, CheckLayout, CheckPadding,
	CheckMeta, CheckWeakParams, CheckExcessiveParams,
}

// checkInfo is what the SDK says of a check: in a developer's words (Error),
// and in a patient's (Explain).
type checkInfo struct {
	says string
	// server: failing it on an answer from the server means the server, or
	// something between it and the client, answered falsely.
	server bool
	// damage: damage in transit, not only a lie, can fail it.
	damage bool
	// plain is what happened, in words for the person using the app.
	plain string
}

var checks = map[Check]checkInfo{
	CheckRollback:     {"server rolled back or hid state this client has seen", true, false, "the server showed less than this device has already seen: an older version, or a record or share left out."},
	CheckEquivocation: {"server equivocated", true, false, "the server showed two different versions of the same thing."},
	CheckLogFork:      {"transparency log forked or rewritten", true, false, "the server's public log of changes does not agree with the log it showed before."},
	CheckLogMismatch:  {"log entries do not match the signed checkpoint", true, true, "the server's public log of changes does not match what the server signed."},
	CheckNotLogged:    {"operation is not in the transparency log", true, false, "the server did not record this change in its public log as it must."},
	CheckUnexpectedKey: {"the log shows a key or grant this account did not make", true, false,
		"the server's public log shows a key, device or share for your account that this device did not make. Someone other than you may have access to your account, or the server is misbehaving."},
	CheckStale:          {"no witness vouched for the log recently enough", false, false, "no independent witness has vouched for the server's public log recently."},
	CheckKeyUnverified:  {"key card failed verification", false, false, "the account's key did not check out: it is not the key this device knows for that account, or not the fingerprint or role you asked for, or its signatures do not verify."},
	CheckChain:          {"account chain does not verify", true, false, "an account's signed history of keys and devices does not verify."},
	CheckWrongRecord:    {"server answered with another object than asked for", true, false, "the server answered with another record or account than the one asked for."},
	CheckMissingGrant:   {"server withholds a grant the ACL gives", true, false, "the server held back the key you were given for this record."},
	CheckOPRF:           {"the server's OPRF answer does not verify", true, false, "the server's answer to the passphrase check did not match the server's published key."},
	CheckSignerMismatch: {"record author is not the expected signer", false, false, "the record was signed by someone other than the author you expected."},
	CheckSigner:         {"header signer is not the author's identity key", true, false, "the record is not signed by its author's key."},
	CheckWriteAuthority: {"author has no write authority over this record", true, false, "the record's author was never allowed to write it."},
	CheckWrongACL:       {"header does not match the ACL in force", true, false, "the record does not match the list of people its owner allowed to read it."},
	CheckGrant:          {"grant is not valid for this record", false, true, "the key the server sent for this record is not one its owner gave you."},
	CheckCommitment:     {"DEK does not match the signed key commitment", true, true, "the record's content from the server does not match what its author signed."},
	CheckUnwrap:         {"DEK does not unwrap under the epoch key", false, true, "the record's key from the server does not open it."},
	CheckLeafMismatch:   {"chunk does not match the signed leaf list", true, true, "the record's content from the server does not match what its author signed."},
	CheckChunkAuth:      {"chunk authentication failed", true, true, "the record's content from the server does not match what its author signed."},
	CheckTruncated:      {"ciphertext truncated", true, true, "the record's content from the server was cut short."},
	CheckBadSignature:   {"signature does not verify", true, true, "a signature on data from the server does not verify."},
	CheckLayout:         {"record sizes are inconsistent", false, true, "the record's sizes do not add up."},
	CheckPadding:        {"body padding is not zero", false, true, "the record's padding is not what its author's software writes."},
	CheckMeta:           {"metadata does not open or is invalid", false, true, "the record's title and type do not open or are not valid."},
	CheckWeakParams:     {"argon2id parameters below the floor (t=3, m=64 MiB, p=4)", false, true, "the keys' protection settings are weaker than this software accepts, so they were not opened."},
	CheckExcessiveParams: {"argon2id parameters above the ceiling (t=10, m=1 GiB, p=16)", false, true,
		"the keys' protection settings are too costly to open safely, so they were not opened."},
}

// Error says what failed, in a developer's words.
func (c Check) Error() string { return checks[c].says }

// Explain says what failed in words for the person using the app; a security
// warning and what to do around it are the app's to add.
func (c Check) Explain() string { return checks[c].plain }

// DamageCanExplain reports whether damage in transit, not only a lie, can
// make the check fail.
func (c Check) DamageCanExplain() bool { return checks[c].damage }

// blamesServer reports whether failing c on the server's answer means the
// server (or something on the way) misbehaved.
func (c Check) blamesServer() bool { return checks[c].server }

// code is c's stable code: "LEAF_MISMATCH" for "leaf-mismatch".
func (c Check) code() string { return codeName(string(c)) }

// CheckError is a failed check. Err says what was wrong in detail and
// unwraps to the cause.
type CheckError struct {
	Check Check
	// ServerMisbehaved is true when the data came from the server and the
	// check is one that only a false answer (or damage on the way) fails:
	// the client used none of it, and a user should hear of it as a security
	// problem.
	ServerMisbehaved bool
	Err              error
}

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// Is matches the failed Check, so errors.Is(err, CheckRollback) works
// whether the check was wrapped as an error or found by its cause.
func (e *CheckError) Is(target error) bool {
	c, ok := target.(Check)
	return ok && c == e.Check
}

// As sets a *Check target to the failed check.
func (e *CheckError) As(target any) bool {
	c, ok := target.(*Check)
	if ok {
		*c = e.Check
	}
	return ok
}
