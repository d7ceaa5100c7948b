// Package testkit builds the conformance kit of the record file format
// (docs/spec/format-v1.md §6 and §7): whole record files, each with the outcome
// a reader must reach, checked in under testdata/conformance and described in
// docs/spec/conformance.md, so that another implementation can run them without
// Go, as age's testkit does.
//
// Every file is made deterministically: keys, record ids and epoch keys derive
// from fixed labels, and the writer's randomness (DEK, salt, nonces, HPKE
// encapsulation) comes from a seeded ChaCha8 stream passed to it through the
// test-only hooks record.SealParams.Rand and grant.SealWith. The product never
// sets them and keeps crypto/rand.
//
// The kit's tests run every file through the real reader (sdk.Decrypt) and check
// that regenerating gives the checked-in files byte for byte.
package testkit

//go:generate go run ./gen -dir ../../testdata/conformance
