package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/sdk"
)

// Every error the SDK exports has a code of its own kind.
var sdkErrors = map[string]error{
	"ErrNotRecordFile": sdk.ErrNotRecordFile, "ErrNotRecipient": sdk.ErrNotRecipient, "ErrSignerMismatch": sdk.ErrSignerMismatch,
	"ErrGrant": sdk.ErrGrant, "ErrTooLarge": sdk.ErrTooLarge, "ErrUnknownVersion": sdk.ErrUnknownVersion,
	"ErrUnknownKind": sdk.ErrUnknownKind, "ErrUnknownSuite": sdk.ErrUnknownSuite, "ErrMalformed": sdk.ErrMalformed,
	"ErrTrailingData": sdk.ErrTrailingData, "ErrBadSignature": sdk.ErrBadSignature, "ErrSigner": sdk.ErrSigner,
	"ErrWriteAuthority": sdk.ErrWriteAuthority, "ErrWrongACL": sdk.ErrWrongACL, "ErrCommitment": sdk.ErrCommitment,
	"ErrUnwrap": sdk.ErrUnwrap, "ErrLayout": sdk.ErrLayout, "ErrPadding": sdk.ErrPadding, "ErrMeta": sdk.ErrMeta,
	"ErrLeafMismatch": sdk.ErrLeafMismatch, "ErrChunkAuth": sdk.ErrChunkAuth, "ErrTruncated": sdk.ErrTruncated,
	"ErrWrongPassphrase": sdk.ErrWrongPassphrase, "ErrWeakPassphrase": sdk.ErrWeakPassphrase, "ErrWeakParams": sdk.ErrWeakParams,
	"ErrRollback": sdk.ErrRollback, "ErrKeyUnverified": sdk.ErrKeyUnverified, "ErrChain": sdk.ErrChain,
	"ErrEquivocation": sdk.ErrEquivocation, "ErrWrongRecord": sdk.ErrWrongRecord, "ErrMissingGrant": sdk.ErrMissingGrant,
	"ErrNotFound": sdk.ErrNotFound, "ErrRevoked": sdk.ErrRevoked, "ErrDeleted": sdk.ErrDeleted, "ErrForbidden": sdk.ErrForbidden,
	"ErrConflict": sdk.ErrConflict, "ErrRateLimited": sdk.ErrRateLimited, "ErrUnreachable": sdk.ErrUnreachable,
	"ErrNoProfile": sdk.ErrNoProfile, "ErrProfileExists": sdk.ErrProfileExists, "ErrOPRF": sdk.ErrOPRF,
	"ErrWrongRecoveryCode": sdk.ErrWrongRecoveryCode, "ErrExcessiveParams": sdk.ErrExcessiveParams,
	"ErrLogFork": sdk.ErrLogFork, "ErrLogMismatch": sdk.ErrLogMismatch, "ErrNotLogged": sdk.ErrNotLogged,
	"ErrUnexpectedKey": sdk.ErrUnexpectedKey, "ErrStale": sdk.ErrStale,
	"ErrInputChanged": sdk.ErrInputChanged, "ErrNotIdentity": sdk.ErrNotIdentity,
}

// Errors a browser caller has no use for telling apart (file-format errors
// of the offline API) may share the generic code.
var uncoded = map[string]bool{"ErrNotRecordFile": true, "ErrInputChanged": true, "ErrNotIdentity": true}

func TestErrorCode_EverySDKError(t *testing.T) {
	files, err := filepath.Glob("../sdk/*.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^(?:var )?\s*(Err[A-Za-z]+)\s+=`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			if _, ok := sdkErrors[m[1]]; !ok {
				t.Errorf("sdk.%s (%s) has no entry here: give it a code in errorCodes and list it in sdkErrors", m[1], filepath.Base(f))
			}
		}
	}
	seen := map[string]string{}
	for name, e := range sdkErrors {
		code := errorCode(fmt.Errorf("wrapped: %w", e))
		if code == "ERROR" && !uncoded[name] {
			t.Errorf("errorCode(sdk.%s) = ERROR, want a code of its own", name)
		}
		if other, ok := seen[code]; ok && code != "ERROR" && sdkErrors[other] != e {
			t.Errorf("sdk.%s and sdk.%s share the code %s", name, other, code)
		}
		seen[code] = name
	}
	// The typings list every code a caller can see.
	dts, err := os.ReadFile("js/blindvault.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errorCodes {
		if !strings.Contains(string(dts), "'"+e.code+"'") {
			t.Errorf("code %s is missing from ErrorCode in js/blindvault.d.ts", e.code)
		}
	}
	if got := errorCode(errors.New("something else")); got != "ERROR" {
		t.Errorf("errorCode(unknown) = %s, want ERROR", got)
	}
	if got := errorCode(fmt.Errorf("%w: %w", sdk.ErrEquivocation, sdk.ErrGrant)); got != "EQUIVOCATION" {
		t.Errorf("errorCode(equivocation while reading a grant) = %s, want EQUIVOCATION", got)
	}
}

func TestCodedError_RoundTrip(t *testing.T) {
	e := fromJSError(newJSError("TRUNCATED", "body ends inside chunk 3"))
	if !errors.Is(e, sdk.ErrTruncated) || errorCode(fmt.Errorf("seal: %w", e)) != "TRUNCATED" || e.Error() != "body ends inside chunk 3" {
		t.Errorf("fromJSError(TRUNCATED) = %v (code %s), want it to be sdk.ErrTruncated", e, errorCode(e))
	}
	v := toJSError(fmt.Errorf("get: %w", sdk.ErrRevoked))
	if v.Get("code").String() != "REVOKED" || v.Get("name").String() != "BlindvaultError" {
		t.Errorf("toJSError(ErrRevoked) = code %s name %s", v.Get("code"), v.Get("name"))
	}
}

// A panic in an operation rejects its Promise; it never reaches JavaScript as
// a crash of the Go program.
func TestPromise_PanicRejects(t *testing.T) {
	_, err := await(context.Background(), promise(func(context.Context) (any, error) { panic("boom") }))
	if errorCode(err) != "INTERNAL" {
		t.Errorf("await(promise that panics) = %v, want an INTERNAL error", err)
	}
	v, err := await(context.Background(), promise(func(context.Context) (any, error) { return "ok", nil }))
	if err != nil || v.String() != "ok" {
		t.Errorf("await(promise) = %v, %v; want ok", v, err)
	}
	_, err = await(context.Background(), promise(func(context.Context) (any, error) { return nil, sdk.ErrRollback }))
	if !errors.Is(err, sdk.ErrRollback) {
		t.Errorf("await(promise failing with ErrRollback) = %v, want ErrRollback", err)
	}
}
