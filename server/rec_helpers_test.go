package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/format"
	"github.com/blindvault/blindvault/internal/grant"
	"github.com/blindvault/blindvault/internal/record"
	"github.com/blindvault/blindvault/server/store"
)

// Helpers of the record, sharing and chain tests: accounts registered and
// logged in through the API, and real records sealed with the SDK's
// internals, sent over loopback HTTP.

// recConfig is a test server's configuration with the rate limits off, so
// that tests and benchmarks measure the API and not the limiter.
func recConfig() Config {
	return Config{RateAddress: RateLimit{Rate: -1}, RateAccount: RateLimit{Rate: -1}}
}

// recTestAccount is an account with its identity, one device and a session.
type recTestAccount struct {
	ts       *testServer
	ID       store.AccountID
	Card     *format.KeyCard
	Identity ed25519.PrivateKey
	XWing    []byte // seed
	KeyID    store.KeyID
	Device   ed25519.PrivateKey
	token    string
}

// newRecAccount registers a patient account through the API and logs its
// device in (registerAndLogin, ident_helpers_test.go).
func newRecAccount(t testing.TB, ts *testServer, handle string) *recTestAccount {
	t.Helper()
	ta := registerAndLogin(t, ts, handle, store.RolePatient, "")
	return &recTestAccount{
		ts: ts, ID: ta.ID, Card: ta.Card, Identity: ta.Identity, XWing: ta.XWingSeed,
		KeyID: store.KeyID(format.KeyID(ta.Card.XWingPK)), Device: ta.Device, token: ta.Token,
	}
}

// addDevice certifies and stores another device of a and returns its key.
func (a *recTestAccount) addDevice(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	cert := &format.DeviceCert{DevicePK: [32]byte(pub), AccountID: a.ID, IdentityFP: a.Card.Fingerprint(),
		Created: uint64(now.Add(-time.Hour).Unix()), NotAfter: uint64(now.Add(24 * time.Hour).Unix())}
	if err := cert.Sign(a.Identity); err != nil {
		t.Fatal(err)
	}
	if err := a.ts.Store.AddDevice(context.Background(), a.ID, store.Device{ID: store.DeviceID(pub), Cert: cert.Marshal(), Added: now}); err != nil {
		t.Fatal(err)
	}
	return priv
}

// recResponse is a finished HTTP exchange.
type recResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// send makes a request as a with a body of the given content type ("" for
// none) and extra headers as name, value pairs.
func (a *recTestAccount) send(t testing.TB, method, path, ctype string, body io.Reader, hdr ...string) recResponse {
	t.Helper()
	req, err := http.NewRequest(method, a.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.ts.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	return recResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// json sends v as JSON.
func (a *recTestAccount) json(t testing.TB, method, path string, v any) recResponse {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return a.send(t, method, path, "application/json", bytes.NewReader(b))
}

// get sends a GET with optional headers.
func (a *recTestAccount) get(t testing.TB, path string, hdr ...string) recResponse {
	t.Helper()
	return a.send(t, http.MethodGet, path, "", nil, hdr...)
}

// want fails the test unless the response has the status.
func (r recResponse) want(t testing.TB, what string, status int) recResponse {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, bytes.TrimSpace(r.Body), status)
	}
	return r
}

// decode parses the JSON response into v.
func (r recResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %q: %v", r.Body, err)
	}
}

// recReader is an ACL entry in a test: an account and its rights.
type recReader struct {
	a      *recTestAccount
	rights format.Rights
}

// signedACL builds the ACL of rec with the owner holding every right and the
// readers listed, signed by the owner.
func signedACL(t testing.TB, id store.RecordID, owner *recTestAccount, seq uint64, prev [32]byte, epoch uint32, readers ...recReader) *format.ACL {
	t.Helper()
	acl := &format.ACL{RecordID: id, Owner: owner.ID, Seq: seq, PrevHash: prev, Epoch: epoch,
		Entries: []format.ACLEntry{{Reader: owner.KeyID, Rights: format.RightsAll}}}
	for _, r := range readers {
		acl.Entries = append(acl.Entries, format.ACLEntry{Reader: r.a.KeyID, Rights: r.rights})
	}
	slices.SortFunc(acl.Entries, func(x, y format.ACLEntry) int { return bytes.Compare(x.Reader[:], y.Reader[:]) })
	if err := acl.Sign(owner.Identity); err != nil {
		t.Fatal(err)
	}
	return acl
}

// sealedGrant wraps epochKey to the recipient, signed by the granter.
func sealedGrant(t testing.TB, id store.RecordID, epoch uint32, epochKey []byte, granter, to *recTestAccount) frameGrant {
	t.Helper()
	enc, ct, err := grant.Seal(to.Card.XWingPK, id, epoch, epochKey)
	if err != nil {
		t.Fatal(err)
	}
	g := &format.Grant{RecordID: id, Epoch: epoch, Recipient: to.KeyID, Granter: granter.ID,
		SignerPK: granter.Card.Ed25519PK, Enc: enc, CT: ct}
	if err := g.Sign(granter.Identity); err != nil {
		t.Fatal(err)
	}
	return frameGrant{Account: to.ID, Signed: g.Marshal()}
}

// recVersion is a sealed version ready to upload.
type recVersion struct {
	Header *format.Header
	Body   []byte
	Leaves []byte
	ACL    []byte
	Grants []frameGrant
	Chain  *chainItem
}

// sealVersion seals plaintext as version v of id, written by author (with
// signer, its identity key or a device key) under acl and epochKey.
func sealVersion(t testing.TB, id store.RecordID, owner store.AccountID, v uint64, prev [32]byte, acl *format.ACL, epochKey []byte, author *recTestAccount, signer ed25519.PrivateKey, plaintext []byte, title string) *recVersion {
	t.Helper()
	var body, leaves bytes.Buffer
	h, err := record.Seal(context.Background(), &record.SealParams{
		RecordID: id, Owner: owner, Version: v, PrevHeaderHash: prev, ACL: acl, EpochKey: epochKey,
		Author: author.ID, Signer: signer, Meta: record.Meta{Type: "text/plain", Title: title, Tags: []string{title}},
	}, bytes.NewReader(plaintext), &body, &leaves)
	if err != nil {
		t.Fatal(err)
	}
	return &recVersion{Header: h, Body: body.Bytes(), Leaves: leaves.Bytes()}
}

// frame encodes the version's frame and body (rec_frame.go).
func (rv *recVersion) frame() []byte {
	return encodeFrame(rv.Header.Marshal(), rv.ACL, rv.Grants, rv.Chain, rv.Leaves, rv.Body)
}

// encodeFrame is the client side of readFrame.
func encodeFrame(header, acl []byte, grants []frameGrant, chain *chainItem, leaves, body []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(header) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(acl) })
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, g := range grants {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddBytes(g.Account[:])
				b.AddBytes(g.Signed)
			})
		}
	})
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		if chain != nil {
			b.AddUint64(chain.Seq)
			b.AddBytes(chain.Entry)
		}
	})
	b.AddUint32LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(leaves) })
	b.AddBytes(body)
	return b.BytesOrPanic()
}

// put uploads the version as a.
func (a *recTestAccount) put(t testing.TB, rv *recVersion) recResponse {
	t.Helper()
	return a.putRaw(t, store.RecordID(rv.Header.RecordID), rv.Header.Version, rv.frame())
}

// putRaw uploads a frame to a record version's URL.
func (a *recTestAccount) putRaw(t testing.TB, id store.RecordID, v uint64, frame []byte) recResponse {
	t.Helper()
	return a.send(t, http.MethodPut, versionPath(id, v), "application/octet-stream", bytes.NewReader(frame))
}

func recordPath(id store.RecordID) string { return "/v1/records/" + id.String() }

func versionPath(id store.RecordID, v uint64) string {
	return recordPath(id) + "/versions/" + strconv.FormatUint(v, 10)
}

// recFixture is a record of owner shared with readers, at version 1.
type recFixture struct {
	ID       store.RecordID
	Owner    *recTestAccount
	ACL      *format.ACL
	EpochKey []byte
	V1       *recVersion
}

// newRecord seals version 1 of a new record of owner, shared with readers
// (each given a grant), without uploading it.
func newRecord(t testing.TB, owner *recTestAccount, plaintext []byte, readers ...recReader) *recFixture {
	t.Helper()
	var id store.RecordID
	rand.Read(id[:])
	return newRecordAt(t, owner, id, plaintext, readers...)
}

// newRecordAt is newRecord under a chosen id: a well-formed create of a
// record that may exist already.
func newRecordAt(t testing.TB, owner *recTestAccount, id store.RecordID, plaintext []byte, readers ...recReader) *recFixture {
	t.Helper()
	f := &recFixture{ID: id, Owner: owner, EpochKey: make([]byte, 32)}
	rand.Read(f.EpochKey)
	f.ACL = signedACL(t, f.ID, owner, 1, [32]byte{}, 1, readers...)
	f.V1 = sealVersion(t, f.ID, owner.ID, 1, [32]byte{}, f.ACL, f.EpochKey, owner, owner.Identity, plaintext, "title")
	f.V1.ACL = f.ACL.Marshal()
	f.V1.Grants = []frameGrant{sealedGrant(t, f.ID, 1, f.EpochKey, owner, owner)}
	for _, r := range readers {
		f.V1.Grants = append(f.V1.Grants, sealedGrant(t, f.ID, 1, f.EpochKey, owner, r.a))
	}
	return f
}

// createRecord seals and uploads version 1.
func createRecord(t testing.TB, owner *recTestAccount, plaintext []byte, readers ...recReader) *recFixture {
	t.Helper()
	f := newRecord(t, owner, plaintext, readers...)
	owner.put(t, f.V1).want(t, "PUT v1", http.StatusCreated)
	return f
}

// next seals the version after prev, written by author under the fixture's
// current ACL.
func (f *recFixture) next(t testing.TB, prev *format.Header, author *recTestAccount, plaintext []byte) *recVersion {
	t.Helper()
	return sealVersion(t, f.ID, f.Owner.ID, prev.Version+1, prev.Hash(), f.ACL, f.EpochKey, author, author.Identity, plaintext, "title")
}

// recPlain returns n bytes of readable test plaintext.
func recPlain(n int) []byte {
	return bytes.Repeat([]byte("blindvault test plaintext. "), n/27+1)[:n]
}

// head returns the stored head, failing the test on errors other than
// ErrNotFound (returned as ok = false).
func storedHead(t testing.TB, ts *testServer, id store.RecordID) (store.Head, bool) {
	t.Helper()
	h, err := ts.Store.Head(context.Background(), id)
	if err != nil {
		if isNotFound(err) {
			return store.Head{}, false
		}
		t.Fatal(err)
	}
	return h, true
}

// asAPIError reports whether err is an *apiError and sets *ae.
func asAPIError(err error, ae **apiError) bool { return errors.As(err, ae) }

// openAs fetches a record version over the API as a and decrypts it with a's
// own grant, checking everything a client checks.
func openAs(t *testing.T, a *recTestAccount, id store.RecordID, v uint64) []byte {
	t.Helper()
	var view api.Record
	a.get(t, versionPath(id, v)).want(t, "GET version", http.StatusOK).decode(t, &view)
	h, err := format.ParseHeader(view.Header)
	if err != nil {
		t.Fatal(err)
	}
	var epochKey []byte
	for _, raw := range view.Grants {
		g, err := format.ParseGrant(raw)
		if err != nil {
			t.Fatal(err)
		}
		if g.Epoch == h.Epoch && store.KeyID(g.Recipient) == a.KeyID {
			if epochKey, err = grant.Open(a.XWing, g.RecordID, g.Epoch, g.Enc, g.CT); err != nil {
				t.Fatal(err)
			}
		}
	}
	if epochKey == nil {
		t.Fatalf("GET version %d as %s: no grant for epoch %d", v, a.Card.Handle, h.Epoch)
	}
	u, err := record.Unlock(h, epochKey)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	leaves := a.get(t, versionPath(id, v)+"/leaves").want(t, "GET leaves", http.StatusOK).Body
	body := a.get(t, versionPath(id, v)+"/body").want(t, "GET body", http.StatusOK).Body
	var out bytes.Buffer
	if err := u.Open(context.Background(), &out, bytes.NewReader(body), bytes.NewReader(leaves), 1); err != nil {
		t.Fatalf("opening version %d as %s: %v", v, a.Card.Handle, err)
	}
	return out.Bytes()
}

// firstACL returns the record's first ACL.
func (f *recFixture) firstACL(t *testing.T) *format.ACL {
	t.Helper()
	a, err := format.ParseACL(f.V1.ACL)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
