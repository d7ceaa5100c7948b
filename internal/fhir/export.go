package fhir

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/blindvault/blindvault/internal/fhir/fhirrec"
	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Record and Agent are fhirrec's: the SDK's browser build uses them without
// linking this package.
type (
	Record = fhirrec.Record
	Agent  = fhirrec.Agent
)

// Writer writes a Bundle of type collection, one record at a time, so that
// an export never holds more than one body in memory.
type Writer struct {
	w       *bufio.Writer
	head    []byte // the Bundle without its closing brace
	entries int
	err     error
}

// NewWriter starts a bundle with the given id, timestamped now.
func NewWriter(w io.Writer, id string, now time.Time) (*Writer, error) {
	b := fhir.Bundle{
		Id:        &id,
		Meta:      &fhir.Meta{Tag: []fhir.Coding{exportTag()}},
		Type:      fhir.BundleTypeCollection,
		Timestamp: ptr(instant(now)),
	}
	head, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("fhir: bundle: %w", err)
	}
	if !bytes.HasSuffix(head, []byte("}")) {
		return nil, errors.New("fhir: bundle does not end in }")
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), head: head[:len(head)-1]}, nil
}

// Entries is the number of entries written so far.
func (w *Writer) Entries() int { return w.entries }

// Add writes r's entries: the resource itself, or a Binary with its
// DocumentReference, then a Provenance.
func (w *Writer) Add(r *Record) error {
	if w.err != nil {
		return w.err
	}
	var targets []fhir.Reference
	if rt := ResourceType(r.Body); rt != "" {
		id := resourceID(r.ID, "resource")
		w.entry(id, json.RawMessage(r.Body))
		targets = append(targets, fhir.Reference{Reference: ptr(fullURL(id)), Type: ptr(rt)})
	} else {
		bin, doc := resourceID(r.ID, "Binary"), resourceID(r.ID, "DocumentReference")
		w.entry(doc, documentReference(r, doc, bin))
		w.entry(bin, binary(r, bin))
		targets = append(targets,
			fhir.Reference{Reference: ptr(fullURL(doc)), Type: ptr("DocumentReference")},
			fhir.Reference{Reference: ptr(fullURL(bin)), Type: ptr("Binary")})
	}
	prov := resourceID(r.ID, "Provenance")
	w.entry(prov, provenance(r, prov, targets))
	return w.err
}

// Close ends the bundle and flushes it.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.entries == 0 {
		w.w.Write(w.head)
	}
	if w.entries > 0 {
		w.w.WriteString("]")
	}
	w.w.WriteString("}\n")
	return w.w.Flush()
}

// entry writes one Bundle.entry, opening the entry array before the first.
func (w *Writer) entry(id string, resource any) {
	if w.err != nil {
		return
	}
	raw, ok := resource.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(resource); err != nil {
			w.err = fmt.Errorf("fhir: entry: %w", err)
			return
		}
	}
	data, err := json.Marshal(fhir.BundleEntry{FullUrl: ptr(fullURL(id)), Resource: raw})
	if err != nil {
		w.err = fmt.Errorf("fhir: entry: %w", err)
		return
	}
	if w.entries == 0 {
		w.w.Write(w.head)
		w.w.WriteString(`,"entry":[`)
	} else {
		w.w.WriteString(",\n")
	}
	if _, err := w.w.Write(data); err != nil {
		w.err = err
		return
	}
	w.entries++
}

// documentReference describes a non-FHIR record: what it is, when it was
// written, who wrote it, and where its bytes are (the Binary entry).
func documentReference(r *Record, id, binaryID string) fhir.DocumentReference {
	sum := sha1.Sum(r.Body) // Attachment.hash is SHA-1 by definition (R4)
	att := fhir.Attachment{
		ContentType: ptr(contentType(r.Type)),
		Url:         ptr(fullURL(binaryID)),
		Size:        ptr(len(r.Body)),
		Hash:        ptr(base64.StdEncoding.EncodeToString(sum[:])),
	}
	if r.Title != "" {
		att.Title = ptr(r.Title)
	}
	if !r.Created.IsZero() {
		att.Creation = ptr(instant(r.Created))
	}
	d := fhir.DocumentReference{
		Id:         &id,
		Meta:       versionMeta(r),
		Identifier: []fhir.Identifier{{System: ptr(SystemRecord), Value: ptr(hex.EncodeToString(r.ID[:]))}},
		Status:     fhir.DocumentReferenceStatusCurrent,
		Author:     []fhir.Reference{agentRef(r.Author)},
		Content:    []fhir.DocumentReferenceContent{{Attachment: att}},
	}
	if r.Type != "" {
		d.Type = &fhir.CodeableConcept{Text: ptr(r.Type)}
	}
	if r.Title != "" {
		d.Description = ptr(r.Title)
	}
	if !r.Modified.IsZero() {
		d.Date = ptr(instant(r.Modified))
	}
	for _, t := range r.Tags {
		if strings.TrimSpace(t) != "" && !strings.HasPrefix(t, DigestTagPrefix) {
			d.Category = append(d.Category, fhir.CodeableConcept{Text: ptr(t)})
		}
	}
	return d
}

// binary holds a non-FHIR record's bytes.
func binary(r *Record, id string) fhir.Binary {
	b := fhir.Binary{Id: &id, Meta: versionMeta(r), ContentType: contentType(r.Type)}
	if len(r.Body) > 0 {
		b.Data = ptr(base64.StdEncoding.EncodeToString(r.Body))
	}
	return b
}

// provenance says who wrote the record version the targets came from, and
// that its signatures verified.
func provenance(r *Record, id string, targets []fhir.Reference) fhir.Provenance {
	version := int(min(r.Version, 1<<31-1))
	verified := r.Verified
	said := "Signatures NOT verified."
	if verified {
		said = "Every signature verified."
	}
	div := fmt.Sprintf(`<div xmlns="http://www.w3.org/1999/xhtml">Blindvault record %s, version %d, written by %s (key fingerprint %s). %s</div>`,
		hex.EncodeToString(r.ID[:4]), r.Version, html.EscapeString(r.Author.Handle), html.EscapeString(r.Author.Fingerprint), said)
	recorded := r.Modified
	if recorded.IsZero() {
		recorded = r.Created
	}
	return fhir.Provenance{
		Id:   &id,
		Meta: &fhir.Meta{Tag: []fhir.Coding{exportTag()}},
		Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: div},
		Extension: []fhir.Extension{
			{Url: ExtVersion, ValuePositiveInt: &version},
			{Url: ExtVerified, ValueBoolean: &verified},
		},
		Target:   targets,
		Recorded: instant(recorded),
		Agent: []fhir.ProvenanceAgent{{
			Type: &fhir.CodeableConcept{Coding: []fhir.Coding{{
				System: ptr(participantTypes), Code: ptr("author"), Display: ptr("Author")}}},
			Who: agentRef(r.Author),
		}},
		Entity: []fhir.ProvenanceEntity{{
			Role: fhir.ProvenanceEntityRoleSource,
			What: fhir.Reference{
				Identifier: &fhir.Identifier{System: ptr(SystemRecord), Value: ptr(hex.EncodeToString(r.ID[:]))},
				Display:    ptr(fmt.Sprintf("Blindvault record %x, version %d", r.ID[:4], r.Version)),
			},
		}},
	}
}

// agentRef names an account by fingerprint.
func agentRef(a Agent) fhir.Reference {
	ref := fhir.Reference{Identifier: &fhir.Identifier{System: ptr(SystemFingerprint), Value: ptr(a.Fingerprint)}}
	if a.Handle != "" {
		ref.Display = ptr(a.Handle)
	}
	return ref
}

// versionMeta carries the record version and its time, and the export tag.
func versionMeta(r *Record) *fhir.Meta {
	m := &fhir.Meta{VersionId: ptr(strconv.FormatUint(r.Version, 10)), Tag: []fhir.Coding{exportTag()}}
	if !r.Modified.IsZero() {
		m.LastUpdated = ptr(instant(r.Modified))
	}
	return m
}

func exportTag() fhir.Coding {
	return fhir.Coding{System: ptr(SystemExport), Code: ptr("blindvault-export"), Display: ptr("Added by Blindvault's export")}
}

// contentType is a record type that is a MIME type, or
// application/octet-stream.
func contentType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil || !strings.Contains(mt, "/") || t != strings.TrimSpace(t) {
		return "application/octet-stream"
	}
	return t
}

// instant formats t as a FHIR instant.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func ptr[T any](v T) *T { return &v }

// NewBundleID is a random UUID (version 4) for an exported bundle.
func NewBundleID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
