package fhir

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/blindvault/blindvault/internal/fhir/fhirrec"
	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Entry is fhirrec's, as Record is.
type Entry = fhirrec.Entry

// Parse reads a whole FHIR R4 Bundle from r and returns the records it holds,
// or an error wrapping ErrNotBundle, ErrMalformed or ErrTooLarge if any part
// of it is refused: nothing is returned for a bundle that is partly bad.
// Duplicates within the bundle are dropped.
func Parse(r io.Reader, limits *Limits) ([]Entry, error) {
	lim := limits.orDefault()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, lim.MaxBytes)
	}
	if err := scan(data, lim); err != nil {
		return nil, err
	}
	var head struct {
		ResourceType *string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.ResourceType == nil {
		return nil, fmt.Errorf("%w: no resourceType", ErrNotBundle)
	}
	if *head.ResourceType != "Bundle" {
		return nil, fmt.Errorf("%w: resourceType is %q", ErrNotBundle, clip(*head.ResourceType))
	}
	var b fhir.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(b.Entry) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries (limit %d)", ErrTooLarge, len(b.Entry), lim.MaxEntries)
	}
	res := make([]resource, len(b.Entry))
	docs := map[string]*fhir.DocumentReference{} // Blindvault's, by the Binary they describe
	for i, e := range b.Entry {
		if err := res[i].parse(e); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
		}
		if res[i].ours && res[i].Type == "DocumentReference" {
			var d fhir.DocumentReference
			if err := json.Unmarshal(res[i].raw, &d); err != nil {
				return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
			}
			for _, c := range d.Content {
				if c.Attachment.Url != nil {
					docs[*c.Attachment.Url] = &d
				}
			}
		}
	}
	var out []Entry
	seen := map[[32]byte]bool{}
	for i := range res {
		r := &res[i]
		if r.ours && (r.Type == "DocumentReference" || r.Type == "Provenance") {
			continue // made by an export, remade by this one
		}
		e, err := r.entry(docs[r.fullURL])
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrMalformed, i, err)
		}
		if !seen[e.Digest] {
			seen[e.Digest] = true
			fit(&e)
			out = append(out, e)
		}
	}
	return out, nil
}

// resource is one entry's resource, checked to be an R4 resource.
type resource struct {
	fullURL string
	Type    string
	raw     []byte
	ours    bool // tagged by Blindvault's export
}

func (r *resource) parse(e fhir.BundleEntry) error {
	if len(e.Resource) == 0 {
		return fmt.Errorf("no resource")
	}
	if e.FullUrl != nil {
		r.fullURL = *e.FullUrl
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		Meta         *struct {
			Tag []struct {
				System *string `json:"system"`
			} `json:"tag"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(e.Resource, &head); err != nil {
		return fmt.Errorf("resource is not a JSON object: %w", err)
	}
	if !IsResourceType(head.ResourceType) {
		return fmt.Errorf("resourceType %q is not an R4 resource type", clip(head.ResourceType))
	}
	r.Type, r.raw = head.ResourceType, e.Resource
	if head.Meta != nil {
		for _, t := range head.Meta.Tag {
			r.ours = r.ours || t.System != nil && *t.System == SystemExport
		}
	}
	return nil
}

// entry makes the record: a Binary's bytes, or the resource's JSON. doc, if
// not nil, is the Blindvault DocumentReference that describes this Binary.
func (r *resource) entry(doc *fhir.DocumentReference) (Entry, error) {
	if r.Type != "Binary" {
		var body bytes.Buffer
		if err := json.Compact(&body, r.raw); err != nil {
			return Entry{}, err
		}
		d, err := Digest(body.Bytes())
		if err != nil {
			return Entry{}, err
		}
		return Entry{ResourceType: r.Type, Body: body.Bytes(), Type: r.Type, Title: titleOf(r.raw, r.Type), Digest: d}, nil
	}
	var bin fhir.Binary
	if err := json.Unmarshal(r.raw, &bin); err != nil {
		return Entry{}, err
	}
	if strings.TrimSpace(bin.ContentType) == "" {
		return Entry{}, fmt.Errorf("a Binary without contentType")
	}
	var data []byte
	if bin.Data != nil {
		var err error
		if data, err = base64.StdEncoding.DecodeString(*bin.Data); err != nil {
			return Entry{}, fmt.Errorf("the Binary's data is not base64: %w", err)
		}
	}
	e := Entry{ResourceType: "Binary", Body: data, Type: bin.ContentType, Digest: binaryDigest(bin.ContentType, data)}
	e.Title = "Binary"
	if bin.Id != nil {
		e.Title = "Binary " + *bin.Id
	}
	if doc != nil {
		if doc.Description != nil {
			e.Title = *doc.Description
		}
		if doc.Type != nil && doc.Type.Text != nil {
			e.Type = *doc.Type.Text
		}
		for _, c := range doc.Category {
			if c.Text != nil {
				e.Tags = append(e.Tags, *c.Text)
			}
		}
	}
	return e, nil
}

// titleOf names a resource for a list: its type and id.
func titleOf(raw []byte, typ string) string {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) == nil && head.ID != "" {
		return typ + " " + clip(head.ID)
	}
	return typ
}

// binaryDigest identifies a Binary by what it holds, not by its id.
func binaryDigest(contentType string, data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("Binary\x00" + contentType + "\x00"))
	h.Write(data)
	return [32]byte(h.Sum(nil))
}

// clip shortens attacker-chosen text for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
