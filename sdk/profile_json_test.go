package sdk

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// The profile's self-encoding maps write what encoding/json writes for the
// same maps, so that the profile's format does not change.
func TestProfile_MapsEncodeAsEncodingJSON(t *testing.T) {
	recs := chainRecords{"b": nil, "odd \"key\" <&> é": {Owner: "x\ny"}}
	shared := sharedRecords{"n": nil, "<>": {Owner: "é", Via: "\u2028"}}
	salts := logSalts{"nil": nil, "empty": {}}
	for i := range 50 {
		var id, h [32]byte
		rand.Read(id[:])
		rand.Read(h[:])
		k := hex.EncodeToString(id[:])
		recs[k] = &chainRecord{Owner: k, Version: uint64(i), HeaderHash: hex.EncodeToString(h[:]), ACLSeq: uint64(i % 3),
			ACLHash: hex.EncodeToString(h[:i%2*32]), Deleted: i%4 == 0, Profile: i%5 == 0}
		shared[k] = &sharedRecord{Owner: k, Version: uint64(i), ACLSeq: uint64(i * 7), Via: hex.EncodeToString(h[:i%2*32])}
		salts[k] = h[:]
	}
	for _, c := range []struct {
		name       string
		mine, want any
	}{
		{"chain records", recs, map[string]*chainRecord(recs)},
		{"shared records", shared, map[string]*sharedRecord(shared)},
		{"log salts", salts, map[string][]byte(salts)},
		{"nil chain records", chainRecords(nil), map[string]*chainRecord(nil)},
		{"nil log salts", logSalts(nil), map[string][]byte(nil)},
	} {
		got, err := json.Marshal(c.mine)
		if err != nil {
			t.Fatalf("Marshal(%s): %v", c.name, err)
		}
		want, _ := json.Marshal(c.want)
		if !bytes.Equal(got, want) {
			t.Errorf("Marshal(%s) =\n%s\nwant\n%s", c.name, got, want)
		}
	}
}
