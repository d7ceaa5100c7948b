package backup

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestFormatRecoveryCode_Display_EightGroupsOfFour(t *testing.T) {
	code := newRecoveryCode()
	s := FormatRecoveryCode(code)
	if !regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$`).MatchString(s) {
		t.Fatalf("FormatRecoveryCode() = %q, want 8 groups of 4 base32 characters", s)
	}
	got, err := ParseRecoveryCode(s)
	if err != nil || !bytes.Equal(got, code) {
		t.Fatalf("ParseRecoveryCode(%q) = %x, %v; want %x", s, got, err, code)
	}
}

func TestParseRecoveryCode_Typed_CaseSpacesDashesIgnored(t *testing.T) {
	code := newRecoveryCode()
	s := FormatRecoveryCode(code)
	plain := strings.ReplaceAll(s, "-", "")
	for _, typed := range []string{
		strings.ToLower(s),
		plain,
		strings.ReplaceAll(s, "-", " "),
		"  " + strings.ReplaceAll(strings.ToLower(s), "-", " - ") + "\n",
		plain[:5] + "-" + plain[5:17] + "\t" + plain[17:],
	} {
		got, err := ParseRecoveryCode(typed)
		if err != nil || !bytes.Equal(got, code) {
			t.Errorf("ParseRecoveryCode(%q) = %x, %v; want %x", typed, got, err, code)
		}
	}
}

func TestParseRecoveryCode_Mistyped_ErrBadRecoveryCode(t *testing.T) {
	s := strings.ReplaceAll(FormatRecoveryCode(newRecoveryCode()), "-", "")
	swap := func(c byte) byte {
		if c == 'A' {
			return 'B'
		}
		return 'A'
	}
	typo := []byte(s)
	typo[7] = swap(typo[7])
	for _, bad := range []string{
		"",
		s[:31],
		s + "A",
		string(typo),
		s[:10] + "1" + s[11:], // 1 is not in the alphabet
		s[:10] + "é" + s[11:],
		strings.Repeat(" ", 1000),
	} {
		if _, err := ParseRecoveryCode(bad); !errors.Is(err, ErrBadRecoveryCode) {
			t.Errorf("ParseRecoveryCode(%q) = %v, want ErrBadRecoveryCode", bad, err)
		}
	}
}

func TestRecoveryKey_BoundToAccount(t *testing.T) {
	code := newRecoveryCode()
	a, b := randomAccount(), randomAccount()
	if bytes.Equal(recoveryKey(a, code), recoveryKey(b, code)) {
		t.Fatal("one recovery code gives the same slot key for two accounts")
	}
}
