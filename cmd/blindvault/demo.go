package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/blindvault/blindvault/sdk"
	"github.com/blindvault/blindvault/server/local"
	"github.com/blindvault/blindvault/server/store"
)

// observation is the demo's FHIR resource: a blood-pressure reading.
const observation = `{"resourceType":"Observation","status":"final",
 "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},
 "subject":{"display":"Alice Example"},"effectiveDateTime":"2026-11-20T09:30:00Z",
 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":128,"unit":"mmHg"}},
              {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":82,"unit":"mmHg"}}]}`

const (
	demoOrg           = "Example Clinic"
	demoObsTitle      = "Blood pressure, 20 Nov"
	demoDocTitle      = "Discharge letter, St Example's"
	demoDocLine       = "Discharge summary for Alice Example: admitted with chest pain, troponin negative, discharged home.\n"
	demoPatientPass   = "alice's demo passphrase: violet lantern 42"
	demoClinicianPass = "dr jones demo passphrase: quiet harbour 7"
)

// runDemo tells the whole story against a real server started in-process on a
// temporary bbolt file: a patient and a clinician, upload, share, read, revoke,
// refused; and, side by side, what the server holds and what each person sees.
func runDemo(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	srv, err := local.StartTemp(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	d := &demo{ctx: ctx, s: s, srv: srv}
	return d.run()
}

type demo struct {
	ctx context.Context
	s   stdio
	srv *local.Server

	// What the steps hand on to later steps.
	admin, jones, alice *sdk.Client
	obs, letter         [32]byte // Alice's two records
	doc                 []byte   // the letter's plaintext
}

func (d *demo) say(format string, a ...any) { fmt.Fprintf(d.s.out, format+"\n", a...) }

// client connects a new in-memory profile to the demo server.
func (d *demo) client() (*sdk.Client, error) {
	return sdk.Connect(d.ctx, sdk.Config{Server: d.srv.URL})
}

// demoSecrets are the plaintexts the side-by-side view searches the server's
// database file for.
var demoSecrets = []string{"Alice Example", "Blood pressure", "Discharge", "mmHg"}

// run tells the story, one numbered step after another.
func (d *demo) run() error {
	d.say("Blindvault demo: a blind server on %s over %s.", d.srv.URL, d.srv.DBPath)
	d.say("Records are encrypted and signed on each person's device; the server stores ciphertext.\n")
	for _, step := range []func() error{
		d.organisation,   // 1
		d.patient,        // 2
		d.upload,         // 3
		d.share,          // 4
		d.clinicianReads, // 5
		d.revoke,         // 6
		d.audit,          // 7
		d.newDevice,      // 8 and 9
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// organisation: the clinic's admin, from the server's one-time bootstrap
// invite, invites and attests a clinician.
func (d *demo) organisation() error {
	ctx := d.ctx
	admin, err := d.client()
	if err != nil {
		return err
	}
	adminPass := make([]byte, 24)
	rand.Read(adminPass)
	if _, err := admin.Register(ctx, &sdk.RegisterOptions{Handle: "clinic-admin", Role: "admin",
		Invite: d.srv.AdminInvite, Passphrase: []byte(base64.StdEncoding.EncodeToString(adminPass))}); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	invite, err := admin.Invite(ctx, "clinician", time.Hour)
	if err != nil {
		return err
	}
	jones, err := d.client()
	if err != nil {
		return err
	}
	if _, err := jones.Register(ctx, &sdk.RegisterOptions{Handle: "dr-jones", Role: "clinician", Invite: invite,
		Passphrase: []byte(demoClinicianPass)}); err != nil {
		return fmt.Errorf("dr-jones: %w", err)
	}
	if _, err := admin.Attest(ctx, "dr-jones", "clinician", demoOrg, 365*24*time.Hour); err != nil {
		return err
	}
	d.admin, d.jones = admin, jones
	d.say("1. %s's admin invites Dr Jones and signs a role attestation for her key.", demoOrg)
	d.say("   dr-jones  %s  (clinician, by invite)", jones.Card().Fingerprint())
	return nil
}

// patient: Alice registers herself and trusts the clinic's admin.
func (d *demo) patient() error {
	ctx := d.ctx
	alice, err := d.client()
	if err != nil {
		return err
	}
	reg, err := alice.Register(ctx, &sdk.RegisterOptions{Handle: "alice", Passphrase: []byte(demoPatientPass)})
	if err != nil {
		return fmt.Errorf("alice: %w", err)
	}
	if err := alice.TrustOrg(ctx, demoOrg, "clinic-admin", d.admin.Card().Fingerprint().String()); err != nil {
		return err
	}
	d.alice = alice
	d.say("2. Alice, a patient, registers herself. Her keys never leave her device unencrypted:")
	d.say("   alice     %s", reg.Fingerprint)
	d.say("   recovery code (shown once): %s", reg.RecoveryCode)
	d.say("   Her key backup needs her passphrase AND the server's OPRF key: a stolen database")
	d.say("   cannot be brute-forced offline. She trusts %s's admin by fingerprint.\n", demoOrg)
	return nil
}

// upload: Alice stores an Observation and a letter, then compares what the
// server holds with what she sees.
func (d *demo) upload() error {
	ctx := d.ctx
	d.doc = bytes.Repeat([]byte(demoDocLine), 5<<20/len(demoDocLine))
	obs, err := d.alice.Put(ctx, strings.NewReader(observation), &sdk.PutOptions{Title: demoObsTitle,
		Type: "Observation", Size: int64(len(observation))})
	if err != nil {
		return err
	}
	letter, err := d.alice.Put(ctx, bytes.NewReader(d.doc), &sdk.PutOptions{Title: demoDocTitle,
		Type: "text/plain", Size: int64(len(d.doc))})
	if err != nil {
		return err
	}
	d.obs, d.letter = obs.RecordID, letter.RecordID
	d.say("3. Alice uploads a FHIR Observation (%d bytes) and a %.1f MB letter, encrypted on her device.\n",
		len(observation), float64(len(d.doc))/1e6)
	return d.sideBySide(d.alice, "Alice", demoSecrets)
}

// share: Alice shares both records with Dr Jones.
func (d *demo) share() error {
	for _, id := range [][32]byte{d.obs, d.letter} {
		ct, err := d.alice.Share(d.ctx, id, "dr-jones", nil)
		if err != nil {
			return err
		}
		if id == d.obs {
			d.say("4. Alice shares both records with dr-jones: key card %s, %s.", ct.Fingerprint, ct.Status())
			d.say("   Each record key is wrapped to Dr Jones's X-Wing key (post-quantum hybrid) on Alice's device.\n")
		}
	}
	return nil
}

// clinicianReads: Dr Jones lists what was shared and reads the letter.
func (d *demo) clinicianReads() error {
	list, err := d.jones.List(d.ctx)
	if err != nil {
		return err
	}
	var got bytes.Buffer
	info, err := d.jones.Get(d.ctx, d.letter, &got)
	if err != nil {
		return fmt.Errorf("dr-jones could not read the letter: %w", err)
	}
	if !bytes.Equal(got.Bytes(), d.doc) {
		return errors.New("dr-jones read different bytes than alice wrote")
	}
	d.say("5. Dr Jones lists %d records shared with her and reads the letter: %d bytes, identical,", len(list), info.Length)
	d.say("   written by %s (verified), checked chunk by chunk before release.\n", info.Author.Handle())
	return nil
}

// revoke: Alice revokes the letter and Dr Jones is refused.
func (d *demo) revoke() error {
	if err := d.alice.Revoke(d.ctx, d.letter, "dr-jones"); err != nil {
		return err
	}
	_, err := d.jones.Get(d.ctx, d.letter, &bytes.Buffer{})
	if !errors.Is(err, sdk.ErrRevoked) {
		return fmt.Errorf("after the revocation dr-jones got %v, want a refusal", err)
	}
	d.say("6. Alice revokes the letter. Dr Jones is refused: %v.", err)
	d.say("   Later versions use a new key that only the remaining readers get.\n")
	return nil
}

// audit: Alice reads the letter's history from the verified log.
func (d *demo) audit() error {
	evs, err := d.alice.Audit(d.ctx, d.letter)
	if err != nil {
		return err
	}
	rep, err := d.alice.VerifyLog(d.ctx)
	if err != nil {
		return err
	}
	d.say("7. Alice reads the letter's access history from the transparency log, after rebuilding")
	d.say("   its Merkle tree from all %d entries and checking it against the signed checkpoint:", rep.Size)
	for _, e := range evs {
		line := fmt.Sprintf("   %s  %-18s %s", e.Time.Format("15:04:05"), e.Action, e.Who)
		if e.Whom != "" {
			line += " → " + e.Whom
		}
		d.say("%s", line)
	}
	d.say("")
	return nil
}

// newDevice: Alice logs in on a new laptop, sees her records and deletes one.
func (d *demo) newDevice() error {
	ctx := d.ctx
	laptop, err := d.client()
	if err != nil {
		return err
	}
	if _, err := laptop.Login(ctx, &sdk.LoginOptions{Handle: "alice", Passphrase: []byte(demoPatientPass)}); err != nil {
		return err
	}
	mine, err := laptop.List(ctx)
	if err != nil {
		return err
	}
	d.say("8. On a new laptop Alice logs in with her passphrase (OPRF + Argon2id, then a signed")
	d.say("   challenge before the server releases her backup) and sees her %d records.\n", len(mine))

	if err := laptop.Delete(ctx, d.obs); err != nil {
		return err
	}
	d.say("9. She deletes the Observation; the server keeps only a tombstone.\n")
	return d.sideBySide(laptop, "Alice", demoSecrets)
}

// sideBySide prints what the server holds for c's account next to what c
// sees, and searches the server's database file for the plaintext.
func (d *demo) sideBySide(c *sdk.Client, who string, secrets []string) error {
	ctx := d.ctx
	heads, err := d.srv.Store.OwnedRecords(ctx, store.AccountID(c.AccountID()), store.RecordID{}, 100)
	if err != nil {
		return err
	}
	mine, err := c.List(ctx)
	if err != nil {
		return err
	}
	titles := map[[32]byte]*sdk.RecordInfo{}
	for _, r := range mine {
		titles[r.RecordID] = r
	}
	d.say("   %-44s | %s", "What the server holds", "What "+who+" sees")
	for _, h := range heads {
		server := fmt.Sprintf("%x… v%d deleted", h.Record[:6], h.Version)
		seen := "(nothing: deleted)"
		if !h.IsDeleted() {
			v, err := d.srv.Store.Version(ctx, h.Record, h.Version)
			if err != nil {
				return err
			}
			server = fmt.Sprintf("%x… v%d, %d bytes ciphertext", h.Record[:6], h.Version, v.BodySize)
		}
		if r, ok := titles[[32]byte(h.Record)]; ok {
			seen = fmt.Sprintf("%q, %s, %d bytes", r.Title, r.Type, r.Length)
		} else if !h.IsDeleted() {
			seen = "(her synced profile: pins)"
		}
		d.say("   %-44s | %s", server, seen)
	}
	db, err := os.ReadFile(d.srv.DBPath)
	if err != nil {
		return err
	}
	var found []string
	for _, s := range secrets {
		if bytes.Contains(db, []byte(s)) {
			found = append(found, s)
		}
	}
	d.say("   Plaintext, titles or types found in the server's %d-byte database file: %d of %d searched.\n",
		len(db), len(found), len(secrets))
	if len(found) > 0 {
		return fmt.Errorf("the server's database contains %q", found)
	}
	return nil
}
