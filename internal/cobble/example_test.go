package cobble_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/blindvault/blindvault/internal/cobble"
)

func Example() {
	dek := make([]byte, cobble.KeySize)
	rand.Read(dek)
	bodyCtx := []byte("blindvault.v1 body example")

	// Seal: the leaf list goes beside the body, the summary into the
	// signed header.
	var body, leaves bytes.Buffer
	sum, err := cobble.Seal(context.Background(), &body, &leaves, strings.NewReader("hello, world"), dek, bodyCtx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	// Open against the signed summary, checking each chunk against its leaf.
	var out bytes.Buffer
	opts := &cobble.OpenOptions{Expect: sum, Leaves: &leaves}
	if _, err := cobble.Open(context.Background(), &out, &body, dek, bodyCtx, opts); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.String(), sum.ChunkCount, sum.CiphertextLen)
	// Output: hello, world 1 84
}

func ExampleKeys_OpenChunk() {
	dek := make([]byte, cobble.KeySize)
	rand.Read(dek)
	bodyCtx := []byte("blindvault.v1 body example")
	msg := bytes.Repeat([]byte("0123456789abcdef"), 2*cobble.ChunkSize/16)
	msg = append(msg, "tail"...)

	var body bytes.Buffer
	sum, err := cobble.Seal(context.Background(), &body, nil, bytes.NewReader(msg), dek, bodyCtx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ct := body.Bytes()

	// Random access: chunk boundaries come from the signed length, and the
	// commitment is checked before the key is used.
	if err := cobble.CheckCommitment(dek, sum.Salt[:], bodyCtx, sum.Commitment); err != nil {
		fmt.Println(err)
		return
	}
	keys, err := cobble.Derive(dek, sum.Salt[:], bodyCtx)
	if err != nil {
		fmt.Println(err)
		return
	}
	plaintextLen, chunks, err := cobble.PlaintextSize(int64(sum.CiphertextLen))
	if err != nil {
		fmt.Println(err)
		return
	}
	last := uint64(chunks - 1)
	pt, err := keys.OpenChunk(nil, last, ct[cobble.ChunkOffset(last):])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plaintextLen, chunks, string(pt))
	// Output: 32772 3 tail
}

func ExampleCiphertextSize() {
	for _, n := range []int64{0, 16383, 16384} {
		fmt.Println(n, cobble.ChunkCount(n), cobble.CiphertextSize(n))
	}
	// Output:
	// 0 1 72
	// 16383 1 16455
	// 16384 2 16472
}
