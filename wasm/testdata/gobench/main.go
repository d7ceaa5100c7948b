//go:build js && wasm

// Command gobench measures AES-256-GCM in Go compiled to WebAssembly, the
// baseline for the WebCrypto body path: it seals and opens argv[1] bytes in
// 16 KiB chunks and passes {sealMs, openMs} as JSON to the global function
// named argv[2].
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"os"
	"strconv"
	"syscall/js"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	block, _ := aes.NewCipher(make([]byte, 32))
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	pt := make([]byte, 16384)
	cts := make([][]byte, 0, n/len(pt)+1)
	t := time.Now()
	for off := 0; off < n; off += len(pt) {
		cts = append(cts, aead.Seal(nil, nonce, pt, nil))
	}
	seal := time.Since(t)
	t = time.Now()
	buf := make([]byte, 0, len(pt))
	for _, ct := range cts {
		if _, err := aead.Open(buf, nonce, ct, nil); err != nil {
			panic(err)
		}
	}
	open := time.Since(t)
	js.Global().Call(os.Args[2], fmt.Sprintf(`{"sealMs": %d, "openMs": %d}`, seal.Milliseconds(), open.Milliseconds()))
}
