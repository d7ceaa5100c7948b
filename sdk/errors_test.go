package sdk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/blindvault/blindvault/internal/cobble"
	"github.com/blindvault/blindvault/internal/format"
)

// Every check is described, listed once in checkOrder, and has a code of its
// own that the browser's typings list.
func TestChecks_DescribedAndCoded(t *testing.T) {
	dts, err := os.ReadFile("../wasm/js/blindvault.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	if len(checkOrder) != len(checks) {
		t.Errorf("checkOrder lists %d checks, the table describes %d", len(checkOrder), len(checks))
	}
	codes := map[string]string{}
	for _, c := range checkOrder {
		info, ok := checks[c]
		if !ok || info.says == "" || info.plain == "" {
			t.Errorf("check %q has no description in both words", c)
		}
		code := ErrorCode(fmt.Errorf("wrapped: %w", c))
		if code != c.code() {
			t.Errorf("ErrorCode(%s) = %s, want %s", c, code, c.code())
		}
		codes[code] = string(c)
	}
	for _, s := range sentinelCodes {
		if other, ok := codes[s.code]; ok && s.code != "ABORTED" {
			t.Errorf("sentinel %v shares the code %s with %s", s.err, s.code, other)
		}
		codes[s.code] = s.err.Error()
	}
	for code := range codes {
		if !strings.Contains(string(dts), "'"+code+"'") {
			t.Errorf("code %s is missing from ErrorCode in wasm/js/blindvault.d.ts", code)
		}
	}
}

// Every exported error variable of the package is a sentinel with a code.
func TestSentinels_AllCoded(t *testing.T) {
	decl := regexp.MustCompile(`(?m)^\s*(?:var )?(Err[A-Za-z]+)\s+=`)
	coded := map[string]bool{}
	for _, s := range sentinelCodes {
		coded[errorVarName(s.err)] = true
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			if !coded[m[1]] {
				t.Errorf("%s (%s) has no code in sentinelCodes", m[1], f.Name())
			}
		}
	}
}

// errorVarName names a sentinel by its identity.
func errorVarName(err error) string {
	for name, e := range map[string]error{
		"ErrInvalid": ErrInvalid, "ErrUnsupported": ErrUnsupported, "ErrTooLarge": ErrTooLarge,
		"ErrNotRecipient": ErrNotRecipient, "ErrWrongPassphrase": ErrWrongPassphrase,
		"ErrWrongRecoveryCode": ErrWrongRecoveryCode, "ErrWeakPassphrase": ErrWeakPassphrase, "ErrSecondFactor": ErrSecondFactor,
		"ErrNotFound": ErrNotFound, "ErrRevoked": ErrRevoked, "ErrDeleted": ErrDeleted,
		"ErrForbidden": ErrForbidden, "ErrConflict": ErrConflict, "ErrRateLimited": ErrRateLimited,
		"ErrUnreachable": ErrUnreachable, "ErrNoProfile": ErrNoProfile, "ErrProfileExists": ErrProfileExists,
		"ErrRestricted": ErrRestricted,
	} {
		if e == err {
			return name
		}
	}
	return ""
}

// Every internal error the SDK can meet lands in the model: a check or a
// coded sentinel, never "ERROR".
func TestInternalErrors_Mapped(t *testing.T) {
	for _, m := range internalErrors {
		err := checked(fmt.Errorf("deep: %w", m.from), false)
		if code := ErrorCode(err); code == "ERROR" {
			t.Errorf("%v maps to no code", m.from)
		}
		if m.check != "" && !errors.Is(err, m.check) {
			t.Errorf("%v is not %s after checked", m.from, m.check)
		}
		if m.to != nil && !errors.Is(err, m.to) {
			t.Errorf("%v is not %v after checked", m.from, m.to)
		}
		if !errors.Is(err, m.from) {
			t.Errorf("checked(%v) no longer unwraps to its cause", m.from)
		}
	}
}

// A failed check is a *CheckError that names it, unwraps to the cause, and
// blames the server only for the server's answers.
func TestChecked_CheckError(t *testing.T) {
	cause := fmt.Errorf("chunk 3: %w", cobble.ErrLeafMismatch)
	online := checked(fmt.Errorf("get: %w", cause), true)
	var ce *CheckError
	if !errors.As(online, &ce) || ce.Check != CheckLeafMismatch || !ce.ServerMisbehaved || !errors.Is(online, cobble.ErrLeafMismatch) {
		t.Fatalf("checked(online leaf mismatch) = %#v", online)
	}
	if !errors.Is(online, CheckLeafMismatch) || !ServerMisbehaved(online) || online.Error() != "get: chunk 3: cobble: chunk does not match leaf" {
		t.Errorf("online leaf mismatch: Is %v, ServerMisbehaved %v, text %q", errors.Is(online, CheckLeafMismatch), ServerMisbehaved(online), online)
	}
	if offline := checked(cause, false); ServerMisbehaved(offline) || !errors.Is(offline, CheckLeafMismatch) {
		t.Errorf("checked(offline leaf mismatch): ServerMisbehaved = %v, want false", ServerMisbehaved(offline))
	}
	// A check a server cannot fail by lying does not blame it.
	if ServerMisbehaved(checked(fmt.Errorf("%w: pinned", CheckKeyUnverified), true)) {
		t.Error("an unverified key blames the server")
	}
	// The first check in checkOrder wins when several are wrapped.
	both := checked(fmt.Errorf("%w while reading a grant: %w", CheckGrant, CheckEquivocation), true)
	if !errors.As(both, &ce) || ce.Check != CheckEquivocation || ErrorCode(both) != "EQUIVOCATION" {
		t.Errorf("equivocation while reading a grant reports %v", ce.Check)
	}
	// Internal sentinels become the SDK's, text unchanged.
	bad := checked(fmt.Errorf("header: %w", format.ErrUnknownVersion), false)
	if !errors.Is(bad, ErrUnsupported) || bad.Error() != "header: format: unknown version" || ErrorCode(bad) != "UNSUPPORTED" {
		t.Errorf("unknown version: %v, code %s", bad, ErrorCode(bad))
	}
	if ErrorCode(context.Canceled) != "ABORTED" || ErrorCode(errors.New("other")) != "ERROR" || checked(nil, true) != nil {
		t.Error("ABORTED, ERROR or nil mapped wrongly")
	}
}

// errors.As finds the failed check, wrapped as a Check or as a *CheckError.
func TestCheck_As(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("get: %w", CheckTruncated),
		checked(fmt.Errorf("get: %w", cobble.ErrTruncated), true),
	} {
		var c Check
		if !errors.As(err, &c) || c != CheckTruncated {
			t.Errorf("errors.As(%v) = %q, want %q", err, c, CheckTruncated)
		}
	}
}
