package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/blindvault/blindvault/server/store"
)

// TOTP second factors (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps, the
// parameters every authenticator app supports. The server draws the 160-bit
// secret, shows it once as an otpauth:// URI, and keeps it only sealed by the
// configured Sealer (the server's tink keyset) in the store's secrets bucket,
// bound to the account.
const (
	totpPeriod     = 30
	totpSecretSize = 20
	// totpSkew is how many steps either side of now a code may be from:
	// one, for clocks up to 30 s apart.
	totpSkew = 1
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpRecord is what the server keeps of an account's TOTP factor:
//
//	u8 version (1) ‖ u8 confirmed ‖ [20] secret ‖ u64 created (Unix s)
//	‖ u64 last step used ‖ u32 failures ‖ u64 locked until (Unix s)
//
// The last step used refuses a code twice (RFC 6238 §5.2); failures and the
// lock bound guessing for the account as a whole.
type totpRecord struct {
	confirmed bool
	secret    [totpSecretSize]byte
	created   time.Time
	lastStep  uint64
	failures  uint32
	until     time.Time
}

const totpRecordSize = 1 + 1 + totpSecretSize + 8 + 8 + 4 + 8

func (r *totpRecord) marshal() []byte {
	b := make([]byte, 0, totpRecordSize)
	b = append(b, 1, 0)
	if r.confirmed {
		b[1] = 1
	}
	b = append(b, r.secret[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(max(r.created.Unix(), 0)))
	b = binary.BigEndian.AppendUint64(b, r.lastStep)
	b = binary.BigEndian.AppendUint32(b, r.failures)
	return binary.BigEndian.AppendUint64(b, uint64(max(r.until.Unix(), 0)))
}

func parseTOTPRecord(b []byte) (*totpRecord, error) {
	if len(b) != totpRecordSize || b[0] != 1 || b[1] > 1 {
		return nil, errors.New("totp record: malformed")
	}
	r := &totpRecord{confirmed: b[1] == 1}
	b = b[2:]
	copy(r.secret[:], b)
	b = b[totpSecretSize:]
	r.created = time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	r.lastStep = binary.BigEndian.Uint64(b[8:])
	r.failures = binary.BigEndian.Uint32(b[16:])
	if u := int64(binary.BigEndian.Uint64(b[20:])); u > 0 {
		r.until = time.Unix(u, 0)
	}
	return r, nil
}

func newTOTPRecord(now time.Time) *totpRecord {
	r := &totpRecord{created: now}
	rand.Read(r.secret[:])
	return r
}

// base32Secret is the secret as authenticator apps take it.
func (r *totpRecord) base32Secret() string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r.secret[:])
}

// uri is the otpauth:// URI an authenticator app enrols from.
func (r *totpRecord) uri(issuer, account string) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod,
		Secret: r.secret[:], Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("totp uri: %w", err)
	}
	return k.URL(), nil
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) uint64 { return uint64(max(t.Unix(), 0)) / totpPeriod }

// match returns the step of now ± totpSkew whose code is code and that is
// later than the last step used, or false. Every candidate is computed and
// compared in constant time.
func (r *totpRecord) match(code string, now time.Time) (uint64, bool) {
	if len(code) != otp.DigitsSix.Length() {
		return 0, false
	}
	secret := r.base32Secret()
	cur := totpStep(now)
	var found uint64
	ok := 0
	for d := -totpSkew; d <= totpSkew; d++ {
		step := cur + uint64(d)
		if d < 0 && cur < uint64(-d) {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, step, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > r.lastStep && ok == 0 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}

// Sealer seals per-account secrets at rest; *secrets.Box is one. The
// associated data binds (bucket, key, account), so a value copied under
// another name or account does not open.
type Sealer interface {
	Seal(bucket, key string, account, plaintext []byte) ([]byte, error)
	Open(bucket, key string, account, sealed []byte) ([]byte, error)
}

// secretsBucket is the store's secrets bucket, as named in the associated
// data of sealed values (secrets.Bucket).
const secretsBucket = "secrets"

// totpRemoved is stored in place of a removed factor's record (the secrets
// bucket has no deletion); it is no sealed value.
var totpRemoved = []byte{0}

func totpSecretName(id store.AccountID) string { return "mfa-totp/" + id.String() }

var errNoSealer = errorf(501, "mfa_unavailable", "this server has no sealer for second-factor secrets")

// loadTOTP returns the account's TOTP record, or nil if it has none.
func (s *Server) loadTOTP(ctx context.Context, id store.AccountID) (*totpRecord, error) {
	sealed, err := s.store.Secret(ctx, totpSecretName(id))
	if isNotFound(err) || (err == nil && bytes.Equal(sealed, totpRemoved)) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	if s.cfg.Sealer == nil {
		return nil, errNoSealer
	}
	b, err := s.cfg.Sealer.Open(secretsBucket, totpSecretName(id), id[:], sealed)
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	return parseTOTPRecord(b)
}

// saveTOTP stores the account's TOTP record sealed; nil removes it.
func (s *Server) saveTOTP(ctx context.Context, id store.AccountID, r *totpRecord) error {
	if r == nil {
		return s.store.PutSecret(ctx, totpSecretName(id), totpRemoved)
	}
	if s.cfg.Sealer == nil {
		return errNoSealer
	}
	sealed, err := s.cfg.Sealer.Seal(secretsBucket, totpSecretName(id), id[:], r.marshal())
	if err != nil {
		return fmt.Errorf("totp: %w", err)
	}
	return s.store.PutSecret(ctx, totpSecretName(id), sealed)
}

// totpIssuer names this server in authenticator apps.
func (s *Server) totpIssuer() string {
	// The label is "issuer:account", so the issuer holds no colon (no port).
	if u, err := url.Parse(s.cfg.Origin); err == nil && u.Hostname() != "" && !strings.Contains(u.Hostname(), ":") {
		return "Blindvault " + u.Hostname()
	}
	return "Blindvault"
}
