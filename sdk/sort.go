package sdk

import (
	"bytes"
	"sort"

	"github.com/blindvault/blindvault/internal/format"
)

// Sorts here go through sort.Slice: one reflective sort serves every element
// type, where each slices.Sort or SortFunc instantiation links its own copy
// of pdqsort (15 – 20 KB) into blindvault.wasm, whose size is budgeted.

// sortACL puts an ACL's entries in reader order, as the format requires.
func sortACL(acl *format.ACL) {
	sort.Slice(acl.Entries, func(i, j int) bool { return bytes.Compare(acl.Entries[i].Reader[:], acl.Entries[j].Reader[:]) < 0 })
}

// sortIDs sorts 32-byte ids in byte order.
func sortIDs[T ~[32]byte](ids []T) {
	sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
}
