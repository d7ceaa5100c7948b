package sdk

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
)

// The profile's maps that grow with the records (a chain's records, the
// records shared with the account, their log salts) encode themselves:
// encoding/json's reflection and key sorting made writing the profile of an
// account with 10,000 records take about half a second (issue 18), paid by
// every operation that changed it (each Put). The bytes are what
// encoding/json writes, keys in the same order, so the profile's format and
// its decoding are unchanged.

// chainRecords are a chain's records by id, hex.
type chainRecords map[string]*chainRecord

// sharedRecords are the records shared with the account, by id, hex.
type sharedRecords map[string]*sharedRecord

// logSalts are records' log salts by id, hex.
type logSalts map[string][]byte

func (m chainRecords) MarshalJSON() ([]byte, error) {
	return appendMap(nil, m, func(b []byte, r *chainRecord) []byte {
		b = append(b, `{"owner":`...)
		b = appendJSONString(b, r.Owner)
		if r.Version != 0 {
			b = strconv.AppendUint(append(b, `,"version":`...), r.Version, 10)
		}
		if r.HeaderHash != "" {
			b = appendJSONString(append(b, `,"header_hash":`...), r.HeaderHash)
		}
		if r.ACLSeq != 0 {
			b = strconv.AppendUint(append(b, `,"acl_seq":`...), r.ACLSeq, 10)
		}
		if r.ACLHash != "" {
			b = appendJSONString(append(b, `,"acl_hash":`...), r.ACLHash)
		}
		if r.Deleted {
			b = append(b, `,"deleted":true`...)
		}
		if r.Profile {
			b = append(b, `,"profile":true`...)
		}
		return append(b, '}')
	}), nil
}

func (m sharedRecords) MarshalJSON() ([]byte, error) {
	return appendMap(nil, m, func(b []byte, r *sharedRecord) []byte {
		b = appendJSONString(append(b, `{"owner":`...), r.Owner)
		b = strconv.AppendUint(append(b, `,"version":`...), r.Version, 10)
		b = strconv.AppendUint(append(b, `,"acl_seq":`...), r.ACLSeq, 10)
		if r.Via != "" {
			b = appendJSONString(append(b, `,"via":`...), r.Via)
		}
		return append(b, '}')
	}), nil
}

func (m logSalts) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	b := append(make([]byte, 0, len(m)*112), '{')
	for i, k := range slices.Sorted(mapKeys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		if v := m[k]; v == nil {
			b = append(b, "null"...)
		} else {
			b = append(base64.StdEncoding.AppendEncode(append(b, '"'), v), '"')
		}
	}
	return append(b, '}'), nil
}

// appendMap appends m as a JSON object, keys sorted, a nil value as null.
func appendMap[V any](b []byte, m map[string]*V, value func([]byte, *V) []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range slices.Sorted(mapKeys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		if v := m[k]; v == nil {
			b = append(b, "null"...)
		} else {
			b = value(b, v)
		}
	}
	return append(b, '}')
}

// mapKeys iterates over m's keys.
func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// appendJSONString appends s as encoding/json encodes it: plain ASCII (hex
// ids and hashes) as itself, anything else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}
