package main

import "github.com/blindvault/blindvault/sdk"

// recordListJSON is a list of records as it crosses to JavaScript, in one
// string: each key card once, and each record's author and owner as an index
// into the cards (-1: none). A patient's 10,000 records name one or two
// cards; each written out per record was most of the list's bytes, and its
// fingerprint a SHA-256 per record. blindvault.mjs puts the cards back.
type recordListJSON struct {
	Cards   []*cardJSON  `json:"cards"`
	Records []listedJSON `json:"records"`
}

// listedJSON is a record of the list: its author and owner are indexes into
// the list's cards (these fields hide recordInfoJSON's own, left nil).
type listedJSON struct {
	recordInfoJSON
	Author int `json:"author"`
	Owner  int `json:"owner"`
}

func listOf(c *sdk.Client, infos []*sdk.RecordInfo) recordListJSON {
	out := recordListJSON{Cards: []*cardJSON{}, Records: make([]listedJSON, len(infos))}
	seen := map[*sdk.KeyCard]int{}
	byFingerprint := map[sdk.Fingerprint]int{}
	index := func(k *sdk.KeyCard) int {
		if k == nil {
			return -1
		}
		if i, ok := seen[k]; ok {
			return i
		}
		fp := k.Fingerprint()
		i, ok := byFingerprint[fp]
		if !ok {
			i = len(out.Cards)
			out.Cards = append(out.Cards, cardOf(k))
			byFingerprint[fp] = i
		}
		seen[k] = i
		return i
	}
	for i, r := range infos {
		out.Records[i] = listedJSON{recordInfoJSON: infoFields(c, r), Author: index(r.Author), Owner: index(r.Owner)}
	}
	return out
}
