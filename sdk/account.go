package sdk

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
	"github.com/blindvault/blindvault/internal/backup"
	"github.com/blindvault/blindvault/internal/format"
)

// RegisterOptions describe a new account.
type RegisterOptions struct {
	Handle string
	// Role is patient (the default), clinician, service or admin; all but
	// patient need an Invite for that role.
	Role   string
	Invite string
	// Passphrase protects the backup (with the server's OPRF key as a second
	// factor) and the keys in the profile. Weak passphrases are refused. A
	// service account has none: its keys are kept in the clear (mode 0600),
	// and its recovery code is the only way to restore it elsewhere.
	Passphrase []byte
}

// Registration is what Register tells the user once.
type Registration struct {
	AccountID   AccountID
	Fingerprint Fingerprint
	// RecoveryCode opens the backup without the passphrase or the server's
	// OPRF. Show it once; it is not stored.
	RecoveryCode string
}

// Register creates an identity and an account on the server: a key card, this
// device's certificate, and the two-key backup of the identity
// (docs/spec/client-v1.md §2, docs/spec/backup-v1.md).
func (c *Client) Register(ctx context.Context, opts *RegisterOptions) (_ *Registration, err error) {
	defer c.begin(&err)()
	if opts == nil || opts.Handle == "" {
		return nil, fmt.Errorf("%w: register needs a handle", ErrInvalid)
	}
	if c.id != nil {
		return nil, ErrProfileExists
	}
	// The log key is pinned first: against a server whose log is not the
	// configured one, nothing is registered.
	if err := c.pinLog(ctx); err != nil {
		return nil, err
	}
	role := opts.Role
	if role == "" {
		role = format.RolePatient
	}
	passphrase := opts.Passphrase
	if role == format.RoleService {
		if passphrase != nil {
			return nil, fmt.Errorf("sdk: a service account has no passphrase")
		}
		passphrase = unseenPassphrase()
	}
	id, err := NewIdentity(opts.Handle)
	if err != nil {
		return nil, err
	}
	dev, cert, err := newDevice(id)
	if err != nil {
		return nil, err
	}
	code, err := c.enroll(ctx, id, dev, cert, role, opts.Invite, passphrase, opts.Passphrase)
	if err != nil {
		return nil, err
	}
	return &Registration{AccountID: id.card.c.AccountID, Fingerprint: id.card.Fingerprint(), RecoveryCode: code}, nil
}

// unseenPassphrase is the passphrase slot of a service account's backup,
// which needs one: it is never shown, so only the recovery code opens the
// backup.
func unseenPassphrase() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return []byte(base64.RawStdEncoding.EncodeToString(k))
}

// enroll creates the account of identity id on the server, with the device
// dev (certified by cert) and a new two-key backup under passphrase, keeps
// the keys under local (nil: in the clear) and logs the device in; it
// returns the backup's recovery code. The account may already exist with
// this card and device (a transfer cut off after this step): it then only
// logs in, and the code is empty.
func (c *Client) enroll(ctx context.Context, id *Identity, dev ed25519.PrivateKey, cert *format.DeviceCert, role, invite string, passphrase, local []byte) (string, error) {
	acct := id.card.c.AccountID
	blob, code, setup, err := backup.Create(ctx, c.oprf(acct), acct, backupSecret(id), passphrase, backup.DefaultParams)
	if err != nil {
		return "", err
	}
	in := map[string]any{"key_card": id.card.Bytes(), "device_cert": cert.Marshal(), "backup": blob,
		"oprf_setup": setup, "role": role}
	if invite != "" {
		in["invite"] = invite
	}
	var out api.Receipts
	err = c.call(ctx, "POST", "/v1/accounts", in, &out)
	existed := isCode(err, "account_exists")
	if err != nil && !existed {
		return "", fmt.Errorf("register: %w", err)
	}
	c.id, c.device = id, dev
	c.prof.Server, c.prof.Account, c.prof.Handle, c.prof.Role = c.origin, id.card.AccountID().String(), id.card.Handle(), role
	c.prof.Device = hex.EncodeToString(dev.Public().(ed25519.PublicKey))
	if err := c.saveKeys(ctx, local); err != nil {
		return "", err
	}
	if err := c.saveProfile(ctx); err != nil {
		return "", err
	}
	if err := c.startSession(ctx); err != nil {
		return "", err
	}
	if existed {
		return "", nil
	}
	// The new card must be in the log: from now on, any other card for this
	// account that the log shows is one this account did not make.
	ch := id.card.c.Hash()
	if err := c.expectLogged(ctx, out.Receipts, func(e *auditlog.Entry) bool {
		return e.Type == auditlog.KeyCard && e.Subject == acct && e.Object == ch
	}); err != nil {
		return "", err
	}
	return code, nil
}

// LoginOptions say how a new device proves it is the account's.
type LoginOptions struct {
	Handle string
	// Passphrase opens the backup with the server's OPRF; it also protects the
	// keys in this device's profile.
	Passphrase []byte
	// RecoveryCode, if set, opens the backup instead of the passphrase, which
	// then only protects this device's profile. It needs no second factor: it
	// is the way back in when the authenticator is lost.
	RecoveryCode string
	// OTP is a current code from the account's TOTP authenticator, needed
	// with the passphrase once the account has a second factor
	// (EnrollTOTP); without it Login fails with ErrSecondFactor.
	OTP string
	// Passkey, if set and OTP is not, answers the server's passkey challenge
	// when the account has a passkey (EnrollPasskey): in a browser it is
	// navigator.credentials.get. Without a passkey on the account it is
	// not called.
	Passkey PasskeyFunc
}

// Login restores the account on a new device: the server releases the backup
// only to a device that proves the passphrase (an OPRF evaluation, Argon2id,
// and a signature with the derived auth key) or the recovery code, the backup
// opens on the device, and the device certifies a key of its own.
func (c *Client) Login(ctx context.Context, opts *LoginOptions) (_ *Contact, err error) {
	defer c.begin(&err)()
	if opts == nil || opts.Handle == "" {
		return nil, fmt.Errorf("%w: login needs a handle", ErrInvalid)
	}
	if c.id != nil {
		return nil, ErrProfileExists
	}
	if err := c.pinLog(ctx); err != nil {
		return nil, err
	}
	var view api.Account
	if err := c.call(ctx, "GET", "/v1/directory/"+url.PathEscape(opts.Handle), nil, &view); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	cards, err := verifiedCards(&view)
	if err != nil {
		return nil, err
	}
	newest := cards[len(cards)-1]
	// The directory is keyed by the exact handle (the server accepts one
	// spelling per name and does not fold case): the card it answers with must
	// be the card of the handle asked for, or this device would restore, and
	// sign in as, another account.
	if newest.c.Handle != opts.Handle {
		return nil, fmt.Errorf("login: %w: the directory answered %q with the card of %q", CheckWrongRecord, opts.Handle, newest.c.Handle)
	}
	acct := newest.c.AccountID
	if opts.Passphrase == nil && view.Role != format.RoleService {
		return nil, fmt.Errorf("%w: a passphrase must protect this device's keys", ErrWeakPassphrase)
	}

	var auth ed25519.PrivateKey
	var slotKey []byte
	if opts.RecoveryCode != "" {
		auth, err = backup.RecoveryAuth(acct, opts.RecoveryCode)
	} else {
		auth, slotKey, err = backup.DeriveAuth(ctx, c.oprf(acct), acct, opts.Passphrase, backup.DefaultParams)
	}
	if err != nil {
		return nil, err
	}
	defer clear(slotKey)
	otp, passkey := opts.OTP, opts.Passkey
	if opts.RecoveryCode != "" || otp != "" {
		passkey = nil
	}
	if opts.RecoveryCode != "" {
		otp = ""
	}
	var assertion []byte
	if passkey != nil {
		if assertion, err = c.passkeyAssertion(ctx, acct, auth, passkey); err != nil {
			return nil, err
		}
	}
	rel, err := c.releaseBackup(ctx, acct, auth, otp, assertion)
	if errors.Is(err, ErrWrongPassphrase) && opts.RecoveryCode != "" {
		return nil, fmt.Errorf("%w (the server counts this failure toward its lockout)", ErrWrongRecoveryCode)
	}
	if err != nil {
		return nil, err
	}
	var secret []byte
	if opts.RecoveryCode != "" {
		secret, err = backup.OpenWithRecoveryCode(rel.Backup, acct, opts.RecoveryCode)
	} else {
		secret, err = backup.Open(rel.Backup, acct, slotKey)
	}
	if err != nil {
		return nil, err // the boundary names it (errors.go)
	}
	defer clear(secret)
	id, err := parseBackupSecret(secret)
	if err != nil {
		return nil, err
	}
	// The backup's identity must be the newest card the directory shows.
	if id.card.Fingerprint() != newest.Fingerprint() {
		return nil, fmt.Errorf("%w: the backup does not hold the account's current key", CheckKeyUnverified)
	}
	dev, cert, err := newDevice(id)
	if err != nil {
		return nil, err
	}
	enrol := map[string][]byte{"device_cert": cert.Marshal(), "enrol_ticket": rel.EnrolTicket}
	if err := c.call(ctx, "POST", "/v1/devices", enrol, nil); err != nil {
		return nil, fmt.Errorf("enrol device: %w", err)
	}
	c.id, c.device = id, dev
	c.prof.Server, c.prof.Account, c.prof.Handle, c.prof.Role = c.origin, id.card.AccountID().String(), newest.c.Handle, view.Role
	c.prof.Device = hex.EncodeToString(dev.Public().(ed25519.PublicKey))
	// Nothing is stored until the device can log in: a failed login leaves
	// no half-made profile behind.
	if err := c.startSession(ctx); err != nil {
		c.id, c.device = nil, nil
		return nil, err
	}
	if err := c.saveKeys(ctx, opts.Passphrase); err != nil {
		return nil, err
	}
	if err := c.saveProfile(ctx); err != nil {
		return nil, err
	}
	if err := c.pullProfile(ctx); err != nil {
		return nil, err
	}
	return &Contact{Handle: newest.c.Handle, AccountID: acct, Card: newest, Fingerprint: newest.Fingerprint()}, nil
}

// releaseBackup asks the server for the backup blob with a signature by a
// backup auth key over its nonce, and the one-time code if any.
func (c *Client) releaseBackup(ctx context.Context, acct [32]byte, auth ed25519.PrivateKey, otp string, passkey []byte) (*api.Released, error) {
	var ch api.Challenge
	if err := c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/challenge", acct), nil, &ch); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if len(ch.Nonce) != 32 {
		return nil, fmt.Errorf("backup: %w: nonce of %d bytes", ErrInvalid, len(ch.Nonce))
	}
	var out api.Released
	err := c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/release", acct), api.ReleaseRequest{
		Nonce: ch.Nonce, Signature: backup.SignRelease(auth, acct, [32]byte(ch.Nonce)), OTP: otp, Passkey: passkey,
	}, &out)
	if isCode(err, "second_factor_required") {
		return nil, fmt.Errorf("%w: the passphrase is right; give the code from the authenticator (or log in with the recovery code)", ErrSecondFactor)
	}
	if isCode(err, "second_factor_failed") && passkey != nil {
		return nil, fmt.Errorf("%w: the server refused the passkey's answer (refusals count toward a lockout)", ErrSecondFactor)
	}
	if isCode(err, "second_factor_failed") {
		return nil, fmt.Errorf("%w: the code is wrong or was already used; wait for the next one (failed codes count toward a lockout)", ErrSecondFactor)
	}
	if isStatus(err, statusUnauthorized) {
		// The auth key derived from this passphrase is not the account's.
		return nil, fmt.Errorf("%w (the server counts this failure toward its lockout)", ErrWrongPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &out, nil
}

// backupSecret is what the backup holds: the identity's key history, each as
// u16<identity secret>, oldest first. Identities do not rotate yet, so it is
// the current identity alone.
func backupSecret(id *Identity) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.secret()) })
	return b.BytesOrPanic()
}

// parseBackupSecret returns the newest identity of a key history.
func parseBackupSecret(secret []byte) (*Identity, error) {
	s := cryptobyte.String(secret)
	var last cryptobyte.String
	for !s.Empty() {
		if !s.ReadUint16LengthPrefixed(&last) {
			return nil, fmt.Errorf("%w: backup key history", ErrInvalid)
		}
	}
	if len(last) == 0 {
		return nil, fmt.Errorf("%w: empty backup key history", ErrInvalid)
	}
	return parseSecret(last)
}

// oprfHTTP is the server's VOPRF for one account, over the API.
type oprfHTTP struct {
	c       *Client
	account [32]byte
}

func (c *Client) oprf(acct [32]byte) backup.OPRFServer { return oprfHTTP{c, acct} }

func (o oprfHTTP) PublicKey(ctx context.Context) ([]byte, error) {
	var out api.OPRFKey
	if err := o.c.call(ctx, "GET", fmt.Sprintf("/v1/backup/%x/oprf-key", o.account), nil, &out); err != nil {
		return nil, err
	}
	if out.Suite != "ristretto255-SHA512" {
		return nil, fmt.Errorf("%w: OPRF suite %q", CheckOPRF, out.Suite)
	}
	return out.PublicKey, nil
}

func (o oprfHTTP) Evaluate(ctx context.Context, blinded []byte) ([]byte, []byte, error) {
	var out api.Evaluated
	err := o.c.call(ctx, "POST", fmt.Sprintf("/v1/backup/%x/evaluate", o.account), api.EvaluateRequest{Blinded: blinded}, &out)
	return out.Evaluated, out.Proof, err
}
