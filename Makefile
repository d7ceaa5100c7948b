# Blindvault developer targets. `make test` is what CI and README promise.
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
BENCHTIME   ?= 1s
PKGS        := ./...

.PHONY: test lint bench fuzz soak demo

test:
	$(GO) test -race -timeout 30m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	cd bench && $(GO) vet ./...

# Side-by-side benchmarks: the SDK against its limits, then age and tink in bench/.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./sdk/...
	cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

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
