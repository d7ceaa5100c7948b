#!/bin/sh
# Builds the browser package into DIR (default: wasm/js): blindvault.wasm, fhir.wasm,
# pdf.wasm, Go's wasm_exec.js beside it, and, for another DIR, the package's JS files.
#
# Inlining is off except in the crypto on hot paths (crypto/..., x/crypto, and
# circl's X-Wing: ML-KEM, X25519, Keccak): it keeps the binary ~160 KB (brotli)
# smaller, and the glue it slows runs rarely; Argon2id, HPKE, signatures and
# each grant's X-Wing decapsulation keep full speed. The rest of circl (the
# OPRF's group and DLEQ proof, run once a login; the secret sharing of
# emergency set-ups; HPKE's tables of KEMs Blindvault never uses) is not
# inlined, nor is the standard library's crypto that only comes along with
# others (P-256 and ECDSA, big-number arithmetic, SHA-3, ChaCha20-Poly1305:
# no Blindvault format uses them; ~12 KB with brotli).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/js}
go=${GO:-go}
mkdir -p "$out"
GOOS=js GOARCH=wasm "$go" build -C "$here/.." -trimpath -ldflags='-s -w' \
  -gcflags='all=-l' -gcflags='crypto/...=' -gcflags='golang.org/x/crypto/...=' -gcflags='math/bits=' -gcflags='crypto/internal/fips140/nistec/...=-l' \
  -gcflags='crypto/internal/fips140/bigmod=-l' -gcflags='crypto/internal/fips140/ecdsa=-l' -gcflags='crypto/ecdsa=-l' -gcflags='crypto/elliptic=-l' \
  -gcflags='crypto/ecdh=-l' -gcflags='crypto/internal/fips140/ecdh=-l' -gcflags='crypto/internal/fips140/sha3=-l' -gcflags='crypto/sha3=-l' \
  -gcflags='golang.org/x/crypto/chacha20...=-l' -gcflags='golang.org/x/crypto/internal/poly1305=-l' \
  -gcflags='github.com/cloudflare/circl/kem/xwing=' -gcflags='github.com/cloudflare/circl/kem/mlkem/...=' \
  -gcflags='github.com/cloudflare/circl/pke/kyber/...=' -gcflags='github.com/cloudflare/circl/dh/x25519=' \
  -gcflags='github.com/cloudflare/circl/math/fp25519=' -gcflags='github.com/cloudflare/circl/simd/keccakf1600=' \
  -gcflags='github.com/cloudflare/circl/internal/sha3=' \
  -o "$out/blindvault.wasm" ./wasm
# fhir.wasm: the FHIR bundles of export and import, loaded only for them.
GOOS=js GOARCH=wasm "$go" build -C "$here/.." -trimpath -ldflags='-s -w' -gcflags='all=-l' \
  -o "$out/fhir.wasm" ./wasm/fhir
# pdf.wasm: the printable summary (export --pdf), loaded only for it.
GOOS=js GOARCH=wasm "$go" build -C "$here/.." -trimpath -ldflags='-s -w' -gcflags='all=-l' \
  -o "$out/pdf.wasm" ./wasm/pdf
cp "$("$go" env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
if [ "$(cd "$out" && pwd)" != "$here/js" ]; then
  cp "$here/js/blindvault.mjs" "$here/js/blindvault.d.ts" "$here/js/body.mjs" "$here/js/worker.mjs" "$here/js/package.json" "$out/"
fi
