package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"syscall/js"
	"time"

	"github.com/blindvault/blindvault/internal/bridge"
	"github.com/blindvault/blindvault/sdk"
)

// connect opens a client: connect({server, storage, fetch?, passphrase?}).
// passphrase is a function returning (a Promise of) the passphrase, asked
// for only when a stored profile's keys must be unlocked.
func connect(ctx context.Context, args []js.Value) (any, error) {
	cfg, err := configOf(ctx, arg(args, 0))
	if err != nil {
		return nil, err
	}
	c, err := sdk.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return newClientObject(c), nil
}

// configOf is the client configuration of connect's options.
func configOf(ctx context.Context, opts js.Value) (sdk.Config, error) {
	server, err := str(field(opts, "server"), "server")
	if err != nil {
		return sdk.Config{}, err
	}
	storage := field(opts, "storage")
	if storage.Type() != js.TypeObject {
		return sdk.Config{}, fmt.Errorf("%w: storage must be an object with load and save", errArgument)
	}
	fetch := field(opts, "fetch")
	if fetch.Type() != js.TypeFunction {
		fetch = js.Global().Get("fetch")
	}
	cfg := sdk.Config{Server: server, Storage: jsStorage{storage},
		Transport: &fetchTransport{base: trimBase(server), fetch: fetch}}
	if ask := field(opts, "passphrase"); ask.Type() == js.TypeFunction {
		cfg.Passphrase = func() ([]byte, error) {
			v, err := await(ctx, ask.Invoke())
			if err != nil {
				return nil, err
			}
			s, err := str(v, "passphrase")
			return []byte(s), err
		}
	}
	return cfg, nil
}

// newClientObject exposes c's operations to JavaScript. Options and results
// cross as JSON (blindvault.mjs turns them into objects, ids and Dates), which
// keeps this glue small in the binary; bytes cross as Uint8Array. Its
// release() frees the functions; the client is unusable after it.
func newClientObject(c *sdk.Client) js.Value {
	o := jsObject.New()
	var funcs []js.Func
	add := func(name string, fn func(ctx context.Context, args []js.Value) (any, error)) {
		f := method(fn)
		funcs = append(funcs, f)
		o.Set(name, f)
	}
	add("state", func(context.Context, []js.Value) (any, error) {
		if kc := c.Card(); kc != nil {
			return toJSON(stateJSON{cardOf(kc), c.Role()})
		}
		return nil, nil
	})
	add("register", func(ctx context.Context, args []js.Value) (any, error) {
		var in struct{ Handle, Role, Invite, Passphrase string }
		if err := fromJSON(arg(args, 0), &in); err != nil {
			return nil, err
		}
		ro := sdk.RegisterOptions{Handle: in.Handle, Role: in.Role, Invite: in.Invite}
		if in.Passphrase != "" {
			ro.Passphrase = []byte(in.Passphrase)
		}
		reg, err := c.Register(ctx, &ro)
		if err != nil {
			return nil, err
		}
		return toJSON(struct {
			AccountID      string `json:"accountId"`
			Fingerprint    string `json:"fingerprint"`
			FingerprintHex string `json:"fingerprintHex"`
			RecoveryCode   string `json:"recoveryCode"`
		}{hex.EncodeToString(reg.AccountID[:]), reg.Fingerprint.String(), hex.EncodeToString(reg.Fingerprint[:]), reg.RecoveryCode})
	})
	add("login", func(ctx context.Context, args []js.Value) (any, error) {
		var in struct{ Handle, Passphrase, RecoveryCode, OTP string }
		if err := fromJSON(arg(args, 0), &in); err != nil {
			return nil, err
		}
		lo := sdk.LoginOptions{Handle: in.Handle, RecoveryCode: in.RecoveryCode, OTP: in.OTP, Passkey: passkeyFunc(arg(args, 1))}
		if in.Passphrase != "" {
			lo.Passphrase = []byte(in.Passphrase)
		}
		return contactResult(c.Login(ctx, &lo))
	})
	add("secondFactors", func(ctx context.Context, _ []js.Value) (any, error) {
		fs, err := c.SecondFactors(ctx)
		if err != nil {
			return nil, err
		}
		type factorJSON struct {
			Kind      string    `json:"kind"`
			Created   time.Time `json:"created"`
			Confirmed bool      `json:"confirmed"`
			ID        string    `json:"id,omitempty"`
			Name      string    `json:"name,omitempty"`
		}
		out := make([]factorJSON, len(fs))
		for i, f := range fs {
			out[i] = factorJSON{f.Kind, f.Created, f.Confirmed, f.ID, f.Name}
		}
		return toJSON(out)
	})
	// enrollPasskey(name, create, get?, code?) and removePasskey(id, get?,
	// code?): create and get are async functions from the options' JSON
	// string to the credential's JSON string (blindvault.mjs wraps
	// navigator.credentials).
	add("enrollPasskey", func(ctx context.Context, args []js.Value) (any, error) {
		name, err := str(arg(args, 0), "name")
		if err != nil {
			return nil, err
		}
		code, err := str(arg(args, 3), "code")
		if err != nil {
			return nil, err
		}
		return nil, c.EnrollPasskey(ctx, name, passkeyFunc(arg(args, 1)), passkeyFunc(arg(args, 2)), code)
	})
	add("removePasskey", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := str(arg(args, 0), "id")
		if err != nil {
			return nil, err
		}
		code, err := str(arg(args, 2), "code")
		if err != nil {
			return nil, err
		}
		return nil, c.RemovePasskey(ctx, id, passkeyFunc(arg(args, 1)), code)
	})
	add("put", func(ctx context.Context, args []js.Value) (any, error) {
		var in struct {
			Title, Type, Update string
			Tags                []string
		}
		seal := arg(args, 1)
		if err := fromJSON(arg(args, 0), &in); err != nil {
			return nil, err
		}
		if seal.Type() != js.TypeFunction {
			return nil, fmt.Errorf("%w: put needs the body engine's seal function", errArgument)
		}
		po := &sdk.PutOptions{Title: in.Title, Type: in.Type, Tags: in.Tags}
		if in.Update != "" {
			var err error
			if po.Update, err = sdk.ParseRecordID(in.Update); err != nil {
				return nil, err
			}
		}
		info, err := c.PutSealed(ctx, jsSealer{seal}, po)
		if err != nil {
			return nil, err
		}
		return toJSON(infoOf(c, info))
	})
	add("get", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		open := arg(args, 1)
		if open.Type() != js.TypeFunction {
			return nil, fmt.Errorf("%w: get needs the body engine's open function", errArgument)
		}
		n, err := uintFromJS(arg(args, 2), "version")
		if arg(args, 2).IsUndefined() {
			n, err = 0, nil
		}
		if err != nil {
			return nil, err
		}
		info, eb, err := c.GetEncryptedVersion(ctx, id, n)
		if err != nil {
			return nil, err
		}
		defer eb.Close()
		fb, ok := eb.Body.(*fetchBody)
		if !ok {
			return nil, fmt.Errorf("blindvault: the body did not come from the fetch transport")
		}
		params := keysToJS(&eb.Keys)
		params.Set("length", eb.Length)
		params.Set("ciphertextLength", eb.CiphertextLen)
		params.Set("chunkCount", eb.ChunkCount)
		params.Set("leaves", bytesToJS(eb.Leaves))
		stream, err := await(ctx, open.Invoke(params, fb.detach()))
		if err != nil {
			return nil, err
		}
		infoJSON, err := toJSON(infoOf(c, info))
		if err != nil {
			return nil, err
		}
		out := jsObject.New()
		out.Set("info", infoJSON)
		out.Set("body", stream)
		return out, nil
	})
	add("list", func(ctx context.Context, _ []js.Value) (any, error) {
		infos, err := c.List(ctx)
		if err != nil {
			return nil, err
		}
		return toJSON(listOf(c, infos))
	})
	add("lookup", func(ctx context.Context, args []js.Value) (any, error) {
		handle, err := str(arg(args, 0), "handle")
		if err != nil {
			return nil, err
		}
		var in struct{ Fingerprint, Role string }
		if err := fromJSON(arg(args, 1), &in); err != nil {
			return nil, err
		}
		return contactResult(c.Lookup(ctx, handle, &sdk.LookupOptions{Fingerprint: in.Fingerprint, Role: in.Role}))
	})
	add("share", func(ctx context.Context, args []js.Value) (any, error) {
		id, handle, err := idAndString(args, "handle")
		if err != nil {
			return nil, err
		}
		opts, err := shareOptions(arg(args, 2))
		if err != nil {
			return nil, err
		}
		return contactResult(c.Share(ctx, id, handle, opts))
	})
	add("shareRecords", func(ctx context.Context, args []js.Value) (any, error) {
		// (ids as a JSON array, handle, options): Share for every record
		// in one operation (sdk.Client.ShareRecords).
		var hexIDs []string
		if err := fromJSON(arg(args, 0), &hexIDs); err != nil {
			return nil, err
		}
		ids := make([]sdk.RecordID, len(hexIDs))
		for i, h := range hexIDs {
			id, err := sdk.ParseRecordID(h)
			if err != nil {
				return nil, err
			}
			ids[i] = id
		}
		handle, err := str(arg(args, 1), "handle")
		if err != nil {
			return nil, err
		}
		opts, err := shareOptions(arg(args, 2))
		if err != nil {
			return nil, err
		}
		return contactResult(c.ShareRecords(ctx, ids, handle, opts))
	})
	add("revoke", func(ctx context.Context, args []js.Value) (any, error) {
		id, handle, err := idAndString(args, "handle")
		if err != nil {
			return nil, err
		}
		return nil, c.Revoke(ctx, id, handle)
	})
	for name, f := range map[string]func(context.Context, sdk.RecordID) error{"restrict": c.Restrict, "unrestrict": c.Unrestrict} {
		add(name, func(ctx context.Context, args []js.Value) (any, error) {
			id, err := recordID(arg(args, 0))
			if err != nil {
				return nil, err
			}
			return nil, f(ctx, id)
		})
	}
	addFHIR(c, add)
	addSummary(c, add)
	add("requestAmendment", func(ctx context.Context, args []js.Value) (any, error) {
		id, text, err := idAndString(args, "text")
		if err != nil {
			return nil, err
		}
		a, err := c.RequestAmendment(ctx, id, text)
		if err != nil {
			return nil, err
		}
		return a.ID.String(), nil
	})
	add("alerts", func(ctx context.Context, _ []js.Value) (any, error) {
		return listResult(c.Alerts(ctx, nil))
	})
	add("emergencyStatus", func(ctx context.Context, _ []js.Value) (any, error) {
		rs, err := c.EmergencyStatus(ctx)
		if err != nil {
			return nil, err
		}
		type requestJSON struct {
			ID        string   `json:"id"`
			Requester string   `json:"requester"`
			Role      string   `json:"role"`
			Logged    int64    `json:"logged"`
			NotBefore int64    `json:"notBefore"`
			Refused   bool     `json:"refused"`
			Approvals int      `json:"approvals"`
			K         int      `json:"k"`
			Notes     []string `json:"notes"`
		}
		out := make([]requestJSON, 0, len(rs))
		for _, r := range rs {
			out = append(out, requestJSON{r.ID, r.RequesterHandle, r.Role, r.Logged.UnixMilli(), r.NotBefore.UnixMilli(),
				r.Refused, r.Approvals, r.K, append([]string{}, r.Notes...)})
		}
		return toJSON(out)
	})
	add("refuseEmergency", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := str(arg(args, 0), "request")
		if err != nil {
			return nil, err
		}
		return nil, c.RefuseEmergency(ctx, id)
	})
	add("trustOrg", func(ctx context.Context, args []js.Value) (any, error) {
		var in struct{ Org, Admin, Fingerprint string }
		if err := fromJSON(arg(args, 0), &in); err != nil {
			return nil, err
		}
		return nil, c.TrustOrg(ctx, in.Org, in.Admin, in.Fingerprint)
	})
	add("lookupTeam", func(ctx context.Context, args []js.Value) (any, error) {
		ref, err := str(arg(args, 0), "team")
		if err != nil {
			return nil, err
		}
		return teamResult(c.LookupTeam(ctx, ref))
	})
	add("shareWithTeam", func(ctx context.Context, args []js.Value) (any, error) {
		id, ref, err := idAndString(args, "team")
		if err != nil {
			return nil, err
		}
		var in struct{ History bool }
		if err := fromJSON(arg(args, 2), &in); err != nil {
			return nil, err
		}
		return teamResult(c.ShareWithTeam(ctx, id, ref, &sdk.ShareOptions{History: in.History}))
	})
	add("revokeTeam", func(ctx context.Context, args []js.Value) (any, error) {
		id, ref, err := idAndString(args, "team")
		if err != nil {
			return nil, err
		}
		return nil, c.RevokeTeam(ctx, id, ref)
	})
	add("delete", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		return nil, c.Delete(ctx, id)
	})
	add("audit", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		return listResult(c.Audit(ctx, id))
	})
	add("readers", func(ctx context.Context, args []js.Value) (any, error) {
		id, err := recordID(arg(args, 0))
		if err != nil {
			return nil, err
		}
		rs, err := c.Readers(ctx, id)
		if err != nil {
			return nil, err
		}
		out := make([]readerJSON, len(rs))
		for i, r := range rs {
			out[i] = readerJSON{KeyID: r.KeyID, Owner: r.Owner, Write: r.Write}
			if t := r.Team; t != nil {
				out[i].Team = newTeamJSON(t)
			}
			if ct := r.Contact; ct != nil {
				out[i].Contact = &contactJSON{cardJSON: cardOf(ct.Card), Status: ct.Status()}
				out[i].Contact.Handle = ct.Handle
				if a := ct.Attestation; a != nil {
					out[i].Contact.Attestation = &attestationJSON{a.Role, a.Org, a.NotAfter.UnixMilli()}
				}
			}
		}
		return toJSON(out)
	})
	add("devices", func(ctx context.Context, _ []js.Value) (any, error) {
		devs, err := c.Devices(ctx)
		if err != nil {
			return nil, err
		}
		type deviceJSON struct {
			Name      string     `json:"name"`
			ID        string     `json:"id"`
			Enrolled  time.Time  `json:"enrolled"`
			LastSeen  *time.Time `json:"lastSeen,omitempty"`
			Revoked   *time.Time `json:"revoked,omitempty"`
			Current   bool       `json:"current"`
			Certified bool       `json:"certified"`
		}
		opt := func(t time.Time) *time.Time {
			if t.IsZero() {
				return nil
			}
			return &t
		}
		out := make([]deviceJSON, len(devs))
		for i, d := range devs {
			out[i] = deviceJSON{d.Name, hex.EncodeToString(d.ID[:]), d.Enrolled, opt(d.LastSeen), opt(d.Revoked), d.Current, d.Certified}
		}
		return toJSON(out)
	})
	add("revokeDevice", func(ctx context.Context, args []js.Value) (any, error) {
		name, err := str(arg(args, 0), "name")
		if err != nil {
			return nil, err
		}
		return nil, c.RevokeDevice(ctx, name)
	})
	add("logout", func(ctx context.Context, _ []js.Value) (any, error) { return nil, c.Logout(ctx) })
	add("deleteAccount", func(ctx context.Context, args []js.Value) (any, error) {
		return deletionCall(ctx, args, c.DeleteAccount)
	})
	add("cancelAccountDeletion", func(ctx context.Context, args []js.Value) (any, error) {
		return deletionCall(ctx, args, c.CancelAccountDeletion)
	})
	addViewCalls(c, add)
	add("transfer", func(ctx context.Context, args []js.Value) (any, error) { return transferCall(ctx, c, args) })
	add("movedTo", func(ctx context.Context, args []js.Value) (any, error) { return movedToCall(ctx, c, args) })
	add("grantPending", func(ctx context.Context, _ []js.Value) (any, error) { return grantPendingCall(ctx, c) })
	var release js.Func
	release = js.FuncOf(func(js.Value, []js.Value) any {
		for _, f := range funcs {
			f.Release()
		}
		funcs = nil
		o.Delete("release")
		release.Release()
		return nil
	})
	o.Set("release", release)
	return o
}

func recordID(v js.Value) ([32]byte, error) {
	s, err := str(v, "record id")
	if err != nil {
		return [32]byte{}, err
	}
	return sdk.ParseRecordID(s)
}

// jsSealer seals a body with the JavaScript body engine: seal(keys) returns a
// Promise of {length, ciphertextLength, leaves, ciphertext: Blob}.
type jsSealer struct{ seal js.Value }

// maxLeaves bounds the leaf list a sealer returns: 32 MiB of leaves is a
// 16 GiB body.
const maxLeaves = 32 << 20

func (s jsSealer) SealBody(ctx context.Context, keys *bridge.BodyKeys) (*bridge.SealedBody, error) {
	v, err := await(ctx, s.seal.Invoke(keysToJS(keys)))
	if err != nil {
		return nil, err
	}
	length, err1 := uintFromJS(v.Get("length"), "length")
	ctLen, err2 := uintFromJS(v.Get("ciphertextLength"), "ciphertextLength")
	leaves, err3 := bytesFromJS(v.Get("leaves"), "leaves", maxLeaves)
	blob := v.Get("ciphertext")
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return nil, err
		}
	}
	if !blob.InstanceOf(js.Global().Get("Blob")) || uint64(blob.Get("size").Float()) != ctLen {
		return nil, fmt.Errorf("%w: the sealer's ciphertext is not a Blob of %d bytes", errArgument, ctLen)
	}
	return &bridge.SealedBody{Length: length, CiphertextLen: ctLen, Leaves: leaves,
		Ciphertext: func() (io.Reader, error) { return &blobBody{blob}, nil }}, nil
}

func uintFromJS(v js.Value, what string) (uint64, error) {
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("%w: %s must be a number", errArgument, what)
	}
	f := v.Float()
	if f < 0 || f > 1<<53 || f != math.Trunc(f) {
		return 0, fmt.Errorf("%w: %s = %v", errArgument, what, f)
	}
	return uint64(f), nil
}

// keysToJS copies body keys straight into JavaScript memory, where the body
// engine imports the AES key and zeroes its copy.
func keysToJS(k *bridge.BodyKeys) js.Value {
	o := jsObject.New()
	o.Set("aeadKey", bytesToJS(k.AEADKey[:]))
	o.Set("baseNonce", bytesToJS(k.BaseNonce[:]))
	o.Set("salt", bytesToJS(k.Salt[:]))
	o.Set("commitment", bytesToJS(k.Commitment[:]))
	return o
}

// fromJSON decodes a JSON options string; undefined and null leave dst as is.
func fromJSON(v js.Value, dst any) error {
	if v.IsUndefined() || v.IsNull() {
		return nil
	}
	s, err := str(v, "options")
	if err == nil {
		err = json.Unmarshal([]byte(s), dst)
	}
	if err != nil {
		return fmt.Errorf("%w: options: %w", errArgument, err)
	}
	return nil
}

// shareOptions reads share's and shareRecords' options JSON
// ({fingerprint, role, history, write}).
func shareOptions(v js.Value) (*sdk.ShareOptions, error) {
	var in struct {
		Fingerprint, Role string
		History, Write    bool
	}
	if err := fromJSON(v, &in); err != nil {
		return nil, err
	}
	return &sdk.ShareOptions{LookupOptions: sdk.LookupOptions{Fingerprint: in.Fingerprint, Role: in.Role},
		History: in.History, Write: in.Write}, nil
}

func toJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// cardJSON is a key card as the page shows it.
type cardJSON struct {
	Handle         string `json:"handle"`
	AccountID      string `json:"accountId"`
	Fingerprint    string `json:"fingerprint"`
	FingerprintHex string `json:"fingerprintHex"`
}

func cardOf(k *sdk.KeyCard) *cardJSON {
	if k == nil {
		return nil
	}
	fp := k.Fingerprint()
	return &cardJSON{k.Handle(), k.AccountID().String(), fp.String(), hex.EncodeToString(fp[:])}
}

type stateJSON struct {
	*cardJSON
	Role string `json:"role"`
}

type contactJSON struct {
	*cardJSON
	FirstUse    bool             `json:"firstUse"`
	Status      string           `json:"status"`
	Attestation *attestationJSON `json:"attestation"`
}

// readerJSON is an sdk.Reader: a reader of a record's ACL in force.
type readerJSON struct {
	Contact *contactJSON `json:"contact"`
	Team    *teamJSON    `json:"team,omitempty"`
	KeyID   string       `json:"keyId"`
	Owner   bool         `json:"owner"`
	Write   bool         `json:"write"`
}

type attestationJSON struct {
	Role     string `json:"role"`
	Org      string `json:"org"`
	NotAfter int64  `json:"notAfter"`
}

// idAndString reads the arguments (id, string) that several calls take: a
// record id, then a handle, a team or a text named what.
func idAndString(args []js.Value, what string) (sdk.RecordID, string, error) {
	id, err := recordID(arg(args, 0))
	if err != nil {
		return id, "", err
	}
	s, err := str(arg(args, 1), what)
	return id, s, err
}

// listResult is a list as JSON: [] rather than null for none.
func listResult[T any](xs []T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if xs == nil {
		xs = []T{}
	}
	return toJSON(xs)
}

// teamJSON is a care team as the client verified it.
type teamJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Org      string   `json:"org"`
	Admin    string   `json:"admin"`
	Verified bool     `json:"verified"`
	History  bool     `json:"history"`
	Members  []string `json:"members"`
	Status   string   `json:"status"`
}

func newTeamJSON(t *sdk.Team) *teamJSON {
	return &teamJSON{ID: t.ID.String(), Name: t.Name, Org: t.Org, Admin: t.AdminHandle, Verified: t.Verified,
		History: t.History, Members: append([]string{}, t.MemberHandles...), Status: t.Status()}
}

func teamResult(t *sdk.Team, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return toJSON(newTeamJSON(t))
}

func contactResult(ct *sdk.Contact, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := contactJSON{cardJSON: cardOf(ct.Card), FirstUse: ct.FirstUse, Status: ct.Status()}
	out.Handle = ct.Handle
	if a := ct.Attestation; a != nil {
		out.Attestation = &attestationJSON{a.Role, a.Org, a.NotAfter.UnixMilli()}
	}
	return toJSON(out)
}

// recordInfoJSON is sdk.RecordInfo with times in Unix milliseconds.
type recordInfoJSON struct {
	ID             string    `json:"id"`
	Version        uint64    `json:"version"`
	Title          string    `json:"title"`
	Type           string    `json:"type"`
	Tags           []string  `json:"tags"`
	Length         uint64    `json:"length"`
	Created        int64     `json:"created"`
	Modified       int64     `json:"modified"`
	Author         *cardJSON `json:"author"`
	AuthorVerified bool      `json:"authorVerified"`
	Owner          *cardJSON `json:"owner"`
	Mine           bool      `json:"mine"`
	Restricted     bool      `json:"restricted"`
	StoredBytes    uint64    `json:"storedBytes"`
	Epoch          uint32    `json:"epoch"`
	ACLSeq         uint64    `json:"aclSeq"`
}

func infoOf(c *sdk.Client, r *sdk.RecordInfo) recordInfoJSON {
	out := infoFields(c, r)
	out.Author, out.Owner = cardOf(r.Author), cardOf(r.Owner)
	return out
}

// infoFields is infoOf but for the author's and the owner's cards.
func infoFields(c *sdk.Client, r *sdk.RecordInfo) recordInfoJSON {
	out := recordInfoJSON{ID: r.RecordID.String(), Version: r.Version, Title: r.Title, Type: r.Type, Tags: r.Tags, Length: r.Length,
		Created: r.Created.UnixMilli(), Modified: r.Modified.UnixMilli(),
		AuthorVerified: r.AuthorVerified, Mine: r.Owner == nil || r.Owner.AccountID() == c.AccountID(),
		StoredBytes: r.StoredBytes, Epoch: r.Epoch, ACLSeq: r.ACLSeq}
	out.Restricted = out.Mine && c.Restricted(r.RecordID)
	if out.Tags == nil {
		out.Tags = []string{}
	}
	return out
}

// passkeyFunc wraps a JavaScript function from the options' JSON string to
// (a Promise of) the credential's JSON string; nil if fn is not a function.
func passkeyFunc(fn js.Value) sdk.PasskeyFunc {
	if fn.Type() != js.TypeFunction {
		return nil
	}
	return func(ctx context.Context, options []byte) ([]byte, error) {
		v, err := await(ctx, fn.Invoke(string(options)))
		if err != nil {
			return nil, err
		}
		s, err := str(v, "passkey answer")
		return []byte(s), err
	}
}
