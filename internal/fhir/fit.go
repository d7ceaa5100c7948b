package fhir

import (
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/blindvault/blindvault/internal/record"
)

// fit makes an entry's metadata fit a record's limits (record.Meta.Check),
// leaving room for one more tag, the importer's: the type printable ASCII
// (a MIME type loses its parameters), the title and tags clipped at a
// character boundary, empty tags and digest tags dropped.
func fit(e *Entry) {
	e.Type = recordType(e.Type)
	e.Title = clipUTF8(e.Title, record.MaxTitle)
	var tags []string
	for _, t := range e.Tags {
		if strings.HasPrefix(t, DigestTagPrefix) {
			continue
		}
		if t = clipUTF8(strings.TrimSpace(t), record.MaxTagLen); t != "" && len(tags) < record.MaxTags-1 {
			tags = append(tags, t)
		}
	}
	e.Tags = tags
}

// recordType is t if it is a valid record type, its media type without
// parameters if that is, and application/octet-stream otherwise.
func recordType(t string) string {
	if printableType(t) {
		return t
	}
	if mt, _, err := mime.ParseMediaType(t); err == nil && printableType(mt) {
		return mt
	}
	return "application/octet-stream"
}

func printableType(t string) bool {
	if t == "" || len(t) > record.MaxType {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x21 || t[i] > 0x7e {
			return false
		}
	}
	return true
}

// clipUTF8 returns valid UTF-8 of at most n bytes from s.
func clipUTF8(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
